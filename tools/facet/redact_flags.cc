#include "redact_flags.h"

namespace facet::cli {

void AddRedactionFlags(CLI::App* cmd, RedactionFlags* flags) {
  cmd->add_option("--mode", flags->mode, "blur (default), pixelate or fill");
  cmd->add_option("--shape", flags->shape, "ellipse (default) or box");
  cmd->add_option("--scale", flags->scale,
                  "region size: the head around the detector's box times this (default 1.6)");
  cmd->add_option("--second-opinion-below", flags->second_opinion_below,
                  "photos: ask O-Net about small detections seen at one scale scoring below this, "
                  "and about those just under the threshold (default 0.2; 0: off, the large-face "
                  "opinion below too; docs/redact.md)");
  cmd->add_option("--large-face-opinion", flags->large_face_opinion,
                  "RetinaFace, photos and video: a face at least 48 px tall scoring under 0.6 is "
                  "redacted when O-Net gives it at least this (default 0.99; 0: off)");
  cmd->add_option("--confirm-below", flags->confirm_below,
                  "photos, RetinaFace: a face scoring below this is redacted only when two of the "
                  "scan's scales found it (default: see docs/redact.md; 0: off)");
  cmd->add_option("--threshold", flags->threshold,
                  "detector score threshold for faces under 48 px (default 0.05; taller ones need "
                  "0.6; recognition uses 0.75)");
  cmd->add_option("--levels", flags->levels,
                  "photos with --detector blazeface: tile levels below the frame (default 3)");
  cmd->add_option("--verify-rounds", flags->verify_rounds,
                  "rounds of re-scanning the output (photos: as written; video: each drawn "
                  "frame) and redacting again a face still found at the verification threshold "
                  "inside a redacted region (default 0: none; each round only when the last scan "
                  "found one)");
  cmd->add_option("--verify-threshold", flags->verify_threshold,
                  "detector threshold of the verification rounds (default 0.5)");
}

Result<RedactOptions> RedactOptionsFromFlags(const RedactionFlags& flags) {
  auto mode = ParseRedactMode(flags.mode);
  if (!mode.ok()) return mode.status();
  auto shape = ParseRedactShape(flags.shape);
  if (!shape.ok()) return shape.status();
  RedactOptions options;
  options.mode = mode.value();
  options.shape = shape.value();
  options.scale = flags.scale;
  options.confirm_below_score = flags.confirm_below;
  options.second_opinion_below = flags.second_opinion_below;
  options.large_face_second_opinion = flags.large_face_opinion;
  options.score_threshold = flags.threshold;
  options.photo_tile_levels = flags.levels;
  options.verify_rounds = flags.verify_rounds;
  options.verify_threshold = flags.verify_threshold;
  FACET_RETURN_IF_ERROR(ValidateRedactOptions(options));
  return options;
}

void AddVideoRedactionFlags(CLI::App* cmd, VideoRedactionFlags* flags) {
  cmd->add_option("--tiles-per-frame", flags->tiles_per_frame,
                  "video: tiles scanned per frame besides the full frame (default 1)");
  cmd->add_option("--hold", flags->hold, "video: frames a missed face stays redacted (default 12)");
  cmd->add_option("--look-back", flags->look_back,
                  "video: a face first found in a frame is redacted in up to this many frames "
                  "before it (0: off; default -1: the tile rotation, 21 frames at 1080p)");
}

void ApplyVideoRedactionFlags(const VideoRedactionFlags& flags, VideoRedactOptions* options) {
  options->tiles_per_frame = flags.tiles_per_frame;
  options->hold_frames = flags.hold;
  options->look_back_frames = flags.look_back;
}

}  // namespace facet::cli
