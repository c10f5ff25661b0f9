// facet: face detection and recognition on your own machine.
#include <cstdio>
#include <exception>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_common.h"
#include "commands.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"facet: privacy-first face detection and recognition on your own machine (detect, compare, galleries, serve, redact)"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, facet::cli::Action>> commands;
  auto add = [&](facet::cli::Action (*reg)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    facet::cli::Action action = reg(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(action));
  };
  add(&facet::cli::RegisterDetect);
  add(&facet::cli::RegisterCompare);
  add(&facet::cli::RegisterEval);
  add(&facet::cli::RegisterServe);
  // --- galleries (galleries branch) ---
  add(&facet::cli::RegisterInit);
  add(&facet::cli::RegisterGallery);
  add(&facet::cli::RegisterPerson);
  add(&facet::cli::RegisterConsent);
  add(&facet::cli::RegisterEnroll);
  add(&facet::cli::RegisterIdentify);
  add(&facet::cli::RegisterVerify);
  add(&facet::cli::RegisterCluster);
  add(&facet::cli::RegisterAudit);
  add(&facet::cli::RegisterStore);
  // --- end galleries ---
  add(&facet::cli::RegisterRedact);
  add(&facet::cli::RegisterModels);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : facet::cli::kExitUsage;
  }
  for (auto& [sub, action] : commands) {
    if (sub->parsed()) return action();
  }
  return facet::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a bug: subcommands report errors as Status
    std::fprintf(stderr, "facet: internal error: %s\n", e.what());
    return facet::cli::kExitFailure;
  }
}
