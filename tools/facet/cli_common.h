// Shared pieces of the facet CLI: engine set-up from flags, JSON of faces, error reporting,
// progress. The CLI sees only the public API (include/facet/).
#ifndef FACET_TOOLS_FACET_CLI_COMMON_H_
#define FACET_TOOLS_FACET_CLI_COMMON_H_

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "facet/engine.h"
#include "facet/image.h"

namespace facet::cli {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // an input could not be processed, or a check failed
inline constexpr int kExitUsage = 2;    // bad flags

// Flags every model-using subcommand accepts.
struct EngineFlags {
  std::string model_dir;  // empty: $FACET_MODEL_DIR, else the build's default
  std::string recognizer = "mobilefacenet";
  std::string detector = "retinaface";
  int threads = 0;
  std::string backend = "xnnpack";
  // The command decides "same person" with the model's thresholds: a registered model not
  // calibrated yet is refused (naming `facet models calibrate`), never run with a default.
  bool needs_thresholds = true;
};

// The model directory: `flag` when given, else $FACET_MODEL_DIR, else the build's models/.
std::string ResolveModelDir(const std::string& flag);

// Resolves the model directory and creates the engine; prints the error and returns null on
// failure.
std::shared_ptr<const Engine> CreateEngineOrPrint(const EngineFlags& flags);

// Adds --models, --model, --detector, --threads and --backend to a subcommand.
void AddEngineFlags(CLI::App* cmd, EngineFlags* flags);

// `v` rounded to 1/digits (1e4: four decimals), for JSON summaries.
double Round(double v, double digits = 1e4);

// {"mean": ..., "max": ...} of a video's per-frame shares of the picture redacted
// (VideoRedactSummary::redacted_share_per_frame), rounded to 4 digits; zeros for no frame.
nlohmann::json RedactedShareJson(const std::vector<float>& share_per_frame);

// The most --workers a subcommand takes (one Session each; RedactVideo's limit on threads too).
inline constexpr int kMaxWorkers = 64;

// Whether --workers is 1..kMaxWorkers; otherwise prints the usage error (the caller exits with
// kExitUsage).
bool CheckWorkers(int workers);

// kInvalidArgument when `output` exists and is one of `inputs` (the same file, through a link or
// not): a command never writes what it makes over what it reads.
Status CheckOutputIsNotAnInput(const std::string& output, const std::vector<std::string>& inputs);

// Ctrl-C (SIGINT) and SIGTERM then ask the running command to stop cleanly (a long video
// redaction stops after the frame being written and leaves no partial file) instead of killing
// the process; a third signal kills it at once (a wrapper such as timeout often delivers one
// Ctrl-C twice). InterruptRequested tells whether one came.
// The flag a signal handler sets is the CLI's one piece of process-wide state.
void CatchInterrupts();
bool InterruptRequested();

// Prints "facet: <context>: <status>" to stderr.
void PrintError(const std::string& context, const Status& status);

nlohmann::json FaceToJson(const Face& face);
// The face's box [x, y, w, h] clipped to a width x height image (a detector may box a face
// partly outside the frame; a box never has negative coordinates), rounded to 1/100 px.
nlohmann::json ClippedBoxJson(const Box& box, int width, int height);
// The same box clipped, unrounded: what every command shows of a box (the face's landmarks,
// which alignment uses, are left as they are).
Box ClipBox(const Box& box, int width, int height);
// "[x, y, w, h]" of ClippedBoxJson, for text output.
std::string BoxText(const nlohmann::json& box);
// Indices of `faces`, largest first by the box's part inside the width x height image (ties:
// detection order): the order identify and verify number faces in (face 1 = the largest).
std::vector<size_t> LargestFirst(const std::vector<Face>& faces, int width, int height);
nlohmann::json ErrorToJson(const Status& status);
// True when `path` has an extension facet reads and writes as an image (ImageFormatForPath):
// what the commands that walk a folder pick up.
bool HasImageExtension(const std::string& path);

// A progress bar on stderr when it is a terminal (with rate and ETA); silent otherwise.
class Progress {
 public:
  Progress(std::string label, size_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void Advance(size_t n = 1);

 private:
  void Draw(bool final);
  std::string label_;
  size_t total_;
  size_t done_ = 0;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_CLI_COMMON_H_
