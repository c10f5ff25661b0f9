// `facet store check`: every row of the store against its MAC, and the store files' own check.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

struct StoreCheckFlags {
  StoreFlags store;
  bool json = false;
};

int RunStoreCheck(const StoreCheckFlags& flags) {
  auto galleries = OpenGalleriesOrPrint(flags.store);
  if (!galleries) return kExitFailure;
  auto report = galleries->CheckRows();
  if (!report.ok()) {
    PrintError("store check", report.status());
    return kExitFailure;
  }
  const bool intact = report->problems.empty();
  if (flags.json) {
    std::cout << nlohmann::json{{"intact", intact},
                                {"rows_checked", report->rows_checked},
                                {"problems", report->problems}}
                     .dump(2)
              << "\n";
  } else {
    for (const std::string& problem : report->problems) std::printf("%s\n", problem.c_str());
    std::printf("%s: %lld rows checked, %zu bad\n", intact ? "intact" : "DAMAGED",
                static_cast<long long>(report->rows_checked), report->problems.size());
  }
  return intact ? kExitOk : kExitFailure;
}

}  // namespace

Action RegisterStore(CLI::App& app) {
  auto flags = std::make_shared<StoreCheckFlags>();
  CLI::App* cmd = app.add_subcommand("store", "check the gallery store");
  cmd->require_subcommand(1);
  CLI::App* check = cmd->add_subcommand(
      "check", "check every gallery, person, consent and face row (exit 1 if any is bad)");
  check->add_flag("--json", flags->json, "print JSON");
  AddStoreFlags(check, &flags->store);
  return [flags] { return RunStoreCheck(*flags); };
}

}  // namespace facet::cli
