#include "redact/options.h"

#include <algorithm>
#include <string>
#include <vector>

namespace facet {

Status ValidateRedactOptions(const RedactOptions& options) {
  if (!(options.scale >= 1.0f && options.scale <= 4.0f)) {
    return Status::InvalidArgument("scale must be between 1 and 4, got " +
                                   std::to_string(options.scale));
  }
  if (!(options.score_threshold > 0 && options.score_threshold < 1)) {
    return Status::InvalidArgument("score threshold must be in (0, 1), got " +
                                   std::to_string(options.score_threshold));
  }
  if (!(options.small_face_scale >= 1.0f && options.small_face_scale <= 4.0f)) {
    return Status::InvalidArgument("small face scale must be between 1 and 4, got " +
                                   std::to_string(options.small_face_scale));
  }
  if (!(options.large_face_threshold > 0 && options.large_face_threshold < 1) ||
      !(options.large_face_height >= 0)) {
    return Status::InvalidArgument(
        "large face threshold must be in (0, 1) and large face height >= 0");
  }
  if (!(options.confirm_below_score >= 0 && options.confirm_below_score < 1)) {
    return Status::InvalidArgument("confirmation score must be in [0, 1), got " +
                                   std::to_string(options.confirm_below_score));
  }
  if (!(options.second_opinion_below >= 0 && options.second_opinion_below < 1) ||
      !(options.second_opinion_reject >= 0 && options.second_opinion_reject <= 1) ||
      !(options.second_opinion_accept >= 0 && options.second_opinion_accept <= 1) ||
      !(options.second_opinion_floor > 0 && options.second_opinion_floor < 1) ||
      !(options.large_face_second_opinion >= 0 && options.large_face_second_opinion <= 1)) {
    return Status::InvalidArgument(
        "second opinion: below must be in [0, 1), reject, accept and large face in [0, 1], "
        "floor in (0, 1)");
  }
  if (options.photo_tile_levels < 0 || options.photo_tile_levels > 5) {
    return Status::InvalidArgument("photo tile levels must be 0..5");
  }
  if (options.verify_rounds < 0 || options.verify_rounds > 10) {
    return Status::InvalidArgument("verification rounds must be 0..10");
  }
  if (!(options.keep_min_score >= 0 && options.keep_min_score <= 1)) {
    return Status::InvalidArgument("keep minimum score must be in [0, 1], got " +
                                   std::to_string(options.keep_min_score));
  }
  if (!(options.verify_threshold > 0 && options.verify_threshold < 1)) {
    return Status::InvalidArgument("verification threshold must be in (0, 1), got " +
                                   std::to_string(options.verify_threshold));
  }
  switch (options.verify_encoding) {
    case ImageFormat::kUnknown:
    case ImageFormat::kJpeg:
    case ImageFormat::kPng:
    case ImageFormat::kWebp:
    case ImageFormat::kBmp:
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown verification encoding");
}

Status ValidateRedactOptions(const VideoRedactOptions& options) {
  FACET_RETURN_IF_ERROR(ValidateRedactOptions(options.redact));
  if (options.threads < 1 || options.threads > 64) {
    return Status::InvalidArgument("threads must be 1..64");
  }
  if (options.tiles_per_frame < 0 || options.tile_levels < 0 || options.tile_levels > 4) {
    return Status::InvalidArgument("tiles per frame must be >= 0 and tile levels 0..4");
  }
  if (options.hold_frames < 0) return Status::InvalidArgument("hold frames must be >= 0");
  if (options.look_back_frames < -1 || options.look_back_frames > 100) {
    return Status::InvalidArgument(
        "look-back frames must be -1 (the tile rotation) or 0..100, got " +
        std::to_string(options.look_back_frames));
  }
  if (options.keep_confirm_detections < 1 || options.keep_confirm_detections > 100) {
    return Status::InvalidArgument("keep confirmation must be 1..100 detections");
  }
  if (options.crf < 0 || options.crf > 51) return Status::InvalidArgument("crf must be 0..51");
  if (!(options.verify_encoder_margin >= 0 && options.verify_encoder_margin <= 0.5f &&
        options.verify_encoder_margin < options.redact.verify_threshold)) {
    return Status::InvalidArgument(
        "verification encoder margin must be in [0, 0.5] and below the verification threshold");
  }
  return Status::Ok();
}

}  // namespace facet

namespace facet::redact {

DetectOptions DetectionFor(const RedactOptions& options) {
  DetectOptions detect;
  detect.score_threshold = options.score_threshold;
  detect.compute_quality = false;
  detect.compute_landmarks = static_cast<bool>(options.keep);
  detect.landmarks_min_score = options.keep_min_score;
  detect.confirm_below_score = options.confirm_below_score;
  return detect;
}

bool RedactsDetection(const RedactOptions& options, const Box& box, float score) {
  const float needed = box.height >= options.large_face_height
                           ? std::max(options.score_threshold, options.large_face_threshold)
                           : options.score_threshold;
  return score >= needed;
}

bool NeedsLargeFaceOpinion(const RedactOptions& options, const Face& face) {
  return options.second_opinion_below > 0 && options.large_face_second_opinion > 0 &&
         face.box.height >= options.large_face_height && face.score >= options.score_threshold &&
         face.score < options.large_face_threshold;
}

bool NeedsSecondOpinion(const RedactOptions& options, const Face& face) {
  if (options.second_opinion_below <= 0) return false;
  if (face.box.height >= options.large_face_height) return NeedsLargeFaceOpinion(options, face);
  if (face.score < options.score_threshold) return face.score >= options.second_opinion_floor;
  return face.score < options.second_opinion_below && face.single_scale;
}

Result<std::vector<float>> AskSecondOpinions(Session& session, const Image& image,
                                             const std::vector<Face>& faces,
                                             const RedactOptions& options,
                                             SecondOpinionNeeded needs) {
  std::vector<float> opinion(faces.size(), -1.0f);
  std::vector<Box> asked;
  std::vector<size_t> asked_index;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (!needs(options, faces[i])) continue;
    asked.push_back(faces[i].box);
    asked_index.push_back(i);
  }
  if (asked.empty()) return opinion;
  auto probabilities = session.FaceProbabilities(image, asked);
  if (!probabilities.ok()) return probabilities.status();
  for (size_t k = 0; k < asked_index.size(); ++k) opinion[asked_index[k]] = (*probabilities)[k];
  return opinion;
}

bool RedactsWithSecondOpinion(const RedactOptions& options, const Face& face, float probability) {
  if (face.box.height >= options.large_face_height) {
    return probability >= options.large_face_second_opinion;
  }
  return probability >= (face.score < options.score_threshold ? options.second_opinion_accept
                                                              : options.second_opinion_reject);
}

float PhotoScanThreshold(const RedactOptions& options) {
  return options.second_opinion_below > 0
             ? std::min(options.score_threshold, options.second_opinion_floor)
             : options.score_threshold;
}

float RegionScaleFor(const RedactOptions& options, const Box& box) {
  return box.height < options.large_face_height ? options.small_face_scale : options.scale;
}

std::string KeepIdentity(const RedactOptions& options, Session& session, const Image& image,
                         const Face& face) {
  if (!options.keep || face.score < options.keep_min_score) return "";
  return options.keep(session, image, face);
}

}  // namespace facet::redact
