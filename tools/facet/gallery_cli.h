// Shared pieces of the gallery subcommands: where the store and the master key are, who acts,
// opening the store, JSON of gallery results.
//
// Defaults (README "Galleries"): store $FACET_STORE, else $XDG_DATA_HOME/facet/store.db
// (~/.local/share/facet/store.db); master key --key-file, else $FACET_MASTER_KEY (64 hex
// characters), else $FACET_KEY_FILE, else $XDG_CONFIG_HOME/facet/master.key
// (~/.config/facet/master.key); actor --actor, else "cli:$USER".
#ifndef FACET_TOOLS_FACET_GALLERY_CLI_H_
#define FACET_TOOLS_FACET_GALLERY_CLI_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "facet/gallery.h"

namespace facet::cli {

struct StoreFlags {
  std::string store;     // empty: the default above
  std::string key_file;  // empty: the default above
  std::string actor;     // empty: cli:$USER
};

// Adds --store, --key-file and --actor.
void AddStoreFlags(CLI::App* cmd, StoreFlags* flags);

// The options the flags and environment resolve to.
GalleriesOptions ResolveStoreOptions(const StoreFlags& flags);
std::string ResolveActor(const StoreFlags& flags);

// Opens the store; prints the error and returns null on failure.
std::unique_ptr<Galleries> OpenGalleriesOrPrint(const StoreFlags& flags);

nlohmann::json ConsentToJson(const ConsentInfo& consent);
nlohmann::json PersonToJson(const PersonInfo& person);
nlohmann::json GalleryToJson(const GalleryInfo& gallery);
nlohmann::json AuditEntryToJson(const AuditEntry& entry);

// Sets flags->recognizer to the gallery's model; fails (printing why) when --model was given
// (`model_given`) and names another model, or the gallery is unknown.
bool UseGalleryModel(Galleries& galleries, const std::string& gallery, bool model_given,
                     EngineFlags* flags);

// Exit code for a failed library call: kExitUsage for kInvalidArgument, else kExitFailure.
int ExitCodeFor(const Status& status);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_GALLERY_CLI_H_
