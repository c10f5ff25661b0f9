// The flags that shape a redaction, registered once for `facet redact`, `facet eval redact` and
// `facet eval redact-video`: an evaluation runs with exactly the options, names, help and
// defaults a user can give `facet redact`.
#ifndef FACET_TOOLS_FACET_REDACT_FLAGS_H_
#define FACET_TOOLS_FACET_REDACT_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "facet/redact.h"
#include "facet/status.h"

namespace facet::cli {

// RedactOptions as flags (defaults: RedactOptions').
struct RedactionFlags {
  std::string mode = "blur";
  std::string shape = "ellipse";
  float scale = RedactOptions{}.scale;
  float confirm_below = RedactOptions{}.confirm_below_score;
  float second_opinion_below = RedactOptions{}.second_opinion_below;
  float large_face_opinion = RedactOptions{}.large_face_second_opinion;
  float threshold = RedactOptions{}.score_threshold;
  int levels = RedactOptions{}.photo_tile_levels;
  int verify_rounds = RedactOptions{}.verify_rounds;
  float verify_threshold = RedactOptions{}.verify_threshold;
};

// Adds --mode, --shape, --scale, --second-opinion-below, --large-face-opinion, --confirm-below,
// --threshold, --levels, --verify-rounds and --verify-threshold. `flags` must outlive `cmd`.
void AddRedactionFlags(CLI::App* cmd, RedactionFlags* flags);

// The options the flags give; kInvalidArgument for an unknown mode or shape or a value out of
// range (ValidateRedactOptions), before any work is done.
Result<RedactOptions> RedactOptionsFromFlags(const RedactionFlags& flags);

// The video-only part of VideoRedactOptions as flags (defaults: VideoRedactOptions').
struct VideoRedactionFlags {
  int tiles_per_frame = VideoRedactOptions{}.tiles_per_frame;
  int hold = VideoRedactOptions{}.hold_frames;
  int look_back = VideoRedactOptions{}.look_back_frames;
};

// Adds --tiles-per-frame, --hold and --look-back. `flags` must outlive `cmd`.
void AddVideoRedactionFlags(CLI::App* cmd, VideoRedactionFlags* flags);

// Copies the flags into `options`.
void ApplyVideoRedactionFlags(const VideoRedactionFlags& flags, VideoRedactOptions* options);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_REDACT_FLAGS_H_
