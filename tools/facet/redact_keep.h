// `facet redact --keep GALLERY --purpose TEXT`: leave visible only the faces identified as people
// enrolled (with consent) in a gallery; redact everyone else. Identification goes through the
// galleries' API (Galleries::StartIdentification): one audit entry per photo or video, with the
// counts and the persons identified, never a template. Store and key resolve as in every gallery
// command (gallery_cli.h).
#ifndef FACET_TOOLS_FACET_REDACT_KEEP_H_
#define FACET_TOOLS_FACET_REDACT_KEEP_H_

#include <memory>
#include <mutex>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "facet/gallery.h"
#include "facet/redact.h"
#include "gallery_cli.h"

namespace facet::cli {

struct KeepFlags {
  std::string gallery;  // empty: no --keep
  std::string purpose;
  StoreFlags store;
  bool model_given = false;
};

// Adds --keep, --purpose, --store, --key-file and --actor.
void AddKeepFlags(CLI::App* cmd, KeepFlags* flags);

// One photo's or one video's identifications: the keep filter over one audited run.
class KeepRun {
 public:
  explicit KeepRun(std::unique_ptr<IdentificationRun> run) : run_(std::move(run)) {}
  // Embeds the face with the caller's session and identifies it; the person id, or "" (redact)
  // for an unknown face, a detection scoring below recognition's default threshold (0.5; not
  // searched), or when identification failed (the failure is kept: see status()).
  KeepFilter Filter();
  // The first identification error, if any.
  Status status() const;
  // Writes the run's audit entry (completed or not); the first error of the run or of the entry.
  Status Finish(bool completed);
  nlohmann::json ToJson() const;

 private:
  std::unique_ptr<IdentificationRun> run_;
  mutable std::mutex mutex_;
  Status error_;
};

// The open store and gallery behind --keep.
class KeepGallery {
 public:
  // Opens the store, checks that the gallery exists and may be searched with this purpose, and
  // sets engine->recognizer to the gallery's model. Prints the error and returns null on failure
  // (*exit_code set: kExitUsage for bad flags, else kExitFailure).
  static std::unique_ptr<KeepGallery> Open(const KeepFlags& flags, EngineFlags* engine,
                                           int* exit_code);
  // A new audited run (thread-safe); prints the error and returns null on failure.
  std::unique_ptr<KeepRun> Start();
  const std::string& gallery() const { return flags_.gallery; }

 private:
  KeepGallery(KeepFlags flags, std::unique_ptr<Galleries> galleries)
      : flags_(std::move(flags)), galleries_(std::move(galleries)) {}
  KeepFlags flags_;
  std::unique_ptr<Galleries> galleries_;  // declared before first_: outlives it
  std::mutex mutex_;
  std::unique_ptr<IdentificationRun> first_;  // opened by the check in Open
};

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_REDACT_KEEP_H_
