// facet init: creates the gallery store and, unless the key comes from $FACET_MASTER_KEY, the
// master key file (mode 0600).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "gallery_cli.h"

namespace facet::cli {
namespace {

// Creates the parent directory of `path` (mode 0700 for directories it creates).
void MakeParent(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  if (std::filesystem::create_directories(parent, ec)) ::chmod(parent.c_str(), 0700);
}

int RunInit(const StoreFlags& flags) {
  GalleriesOptions options = ResolveStoreOptions(flags);
  if (!IsDatabaseStore(options.store)) MakeParent(options.store);
  if (!options.key_file.empty()) MakeParent(options.key_file);
  const bool new_key = !options.key_file.empty() && !std::filesystem::exists(options.key_file);
  auto galleries = Galleries::Create(options);
  if (!galleries.ok()) {
    PrintError("init", galleries.status());
    return ExitCodeFor(galleries.status());
  }
  std::printf("created store %s\n", StoreForDisplay(options.store).c_str());
  if (new_key) {
    std::printf("created master key %s (mode 0600): keep it apart from the store and back it up;\n"
                "without it the store cannot be read\n",
                options.key_file.c_str());
  } else if (!options.key_file.empty()) {
    std::printf("using master key %s\n", options.key_file.c_str());
  } else {
    std::printf("using the master key in $FACET_MASTER_KEY\n");
  }
  return kExitOk;
}

}  // namespace

Action RegisterInit(CLI::App& app) {
  auto flags = std::make_shared<StoreFlags>();
  CLI::App* cmd = app.add_subcommand("init", "create an encrypted gallery store and its master key");
  AddStoreFlags(cmd, flags.get());
  return [flags] { return RunInit(*flags); };
}

}  // namespace facet::cli
