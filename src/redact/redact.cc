// Photos: the public redaction API (include/facet/redact.h) except RedactVideo.
#include "facet/redact.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "detect/face_detector.h"
#include "detect/tiling.h"
#include "image/convert.h"
#include "redact/draw.h"
#include "redact/options.h"
#include "redact/verify.h"

namespace facet {

Result<RedactMode> ParseRedactMode(std::string_view name) {
  if (name == "blur") return RedactMode::kBlur;
  if (name == "pixelate") return RedactMode::kPixelate;
  if (name == "fill") return RedactMode::kFill;
  return Status::InvalidArgument("unknown redaction mode '" + std::string(name) +
                                 "' (known: blur, pixelate, fill)");
}

const char* RedactModeName(RedactMode mode) {
  switch (mode) {
    case RedactMode::kPixelate:
      return "pixelate";
    case RedactMode::kFill:
      return "fill";
    default:
      return "blur";
  }
}

Result<RedactShape> ParseRedactShape(std::string_view name) {
  if (name == "ellipse") return RedactShape::kEllipse;
  if (name == "box") return RedactShape::kBox;
  return Status::InvalidArgument("unknown redaction shape '" + std::string(name) +
                                 "' (known: ellipse, box)");
}

const char* RedactShapeName(RedactShape shape) {
  return shape == RedactShape::kBox ? "box" : "ellipse";
}

void DrawRedactions(Image& image, const std::vector<RedactedRegion>& regions, RedactMode mode,
                    RedactShape shape) {
  if (image.empty()) return;
  cv::Mat view = image::AsMutableMat(image);
  // A kept face stays visible even where another region's margin (or a false detection on a
  // part of it) reaches into it: its box is put back after drawing.
  std::vector<std::pair<cv::Rect, cv::Mat>> kept;
  for (const RedactedRegion& r : regions) {
    if (!r.kept) continue;
    const cv::Rect bounds = redact::RegionBounds(r.face, image.width(), image.height());
    if (!bounds.empty()) kept.emplace_back(bounds, view(bounds).clone());
  }
  for (const RedactedRegion& r : regions) {
    if (!r.kept) redact::RedactRegion(view, r.region, mode, shape);
  }
  for (const auto& [bounds, pixels] : kept) pixels.copyTo(view(bounds));
}

float RedactionCoverage(const std::vector<RedactedRegion>& regions, RedactShape shape,
                        const Box& box, int width, int height) {
  if (width <= 0 || height <= 0) return 0;
  // Only the pixels of `box` matter: render the mask over its bounds. (Shifting by whole pixels
  // keeps the pixel-centre rule, so this is exactly what DrawRedactions covers.)
  cv::Rect bounds = redact::RegionBounds(box, width, height);
  if (bounds.empty()) {
    // A box too thin to hold a pixel centre: judged by the pixel under its centre.
    const int x = static_cast<int>(std::floor(box.x + box.width / 2));
    const int y = static_cast<int>(std::floor(box.y + box.height / 2));
    if (x < 0 || y < 0 || x >= width || y >= height) return 0;
    bounds = cv::Rect(x, y, 1, 1);
  }
  std::vector<Box> shifted;
  for (const RedactedRegion& r : regions) {
    if (r.kept) continue;
    shifted.push_back({r.region.x - static_cast<float>(bounds.x),
                       r.region.y - static_cast<float>(bounds.y), r.region.width, r.region.height});
  }
  cv::Mat mask;
  redact::RenderMask(shifted, shape, bounds.width, bounds.height, &mask);
  for (const RedactedRegion& r : regions) {  // kept faces are put back (DrawRedactions)
    if (!r.kept) continue;
    const cv::Rect face = redact::RegionBounds(r.face, width, height) & bounds;
    if (!face.empty()) mask(face - bounds.tl()).setTo(0);
  }
  const Box local{box.x - static_cast<float>(bounds.x), box.y - static_cast<float>(bounds.y),
                  box.width, box.height};
  return redact::MaskCoverage(mask, local);
}

float RedactedAreaOutside(const std::vector<RedactedRegion>& regions, RedactShape shape,
                          const std::vector<Box>& spared, int width, int height) {
  if (width <= 0 || height <= 0) return 0;
  std::vector<Box> drawn;
  for (const RedactedRegion& r : regions) {
    if (!r.kept) drawn.push_back(r.region);
  }
  cv::Mat mask;
  redact::RenderMask(drawn, shape, width, height, &mask);
  for (const Box& box : spared) {
    const cv::Rect bounds = redact::RegionBounds(box, width, height);
    if (!bounds.empty()) mask(bounds).setTo(0);
  }
  return static_cast<float>(cv::countNonZero(mask)) /
         (static_cast<float>(width) * static_cast<float>(height));
}

float RedactedShare(const std::vector<RedactedRegion>& regions, RedactShape shape, int width,
                    int height) {
  std::vector<Box> kept_faces;
  for (const RedactedRegion& r : regions) {
    if (r.kept) kept_faces.push_back(r.face);
  }
  return RedactedAreaOutside(regions, shape, kept_faces, width, height);
}

Result<ImageRedaction> FindRedactions(Session& session, const Image& image,
                                      const RedactOptions& options) {
  FACET_RETURN_IF_ERROR(ValidateRedactOptions(options));
  if (image.empty()) return Status::InvalidArgument("empty image");
  DetectOptions detect = redact::DetectionFor(options);
  bool second_opinion = false;  // RetinaFace only: the rules were measured on it
  // The decoder family of the engine's detector (a registered detector is of RetinaFace's).
  if (session.engine().detector().family == "blazeface") {
    // BlazeFace sees the frame at 256 pixels: small faces need tiles.
    detect::TilingOptions tiling;
    tiling.max_levels = options.photo_tile_levels;
    tiling.min_tile_side = redact::kPhotoMinTileSide;
    for (const detect::Tile& tile : detect::PlanTiles(image.width(), image.height(), tiling)) {
      detect.regions.push_back({static_cast<float>(tile.rect.x), static_cast<float>(tile.rect.y),
                                static_cast<float>(tile.rect.width),
                                static_cast<float>(tile.rect.height)});
    }
  } else {
    // RetinaFace: the recall pyramid (twice the size, its own size, and a coarse pass), down to
    // the second opinion's floor.
    detect.mode = DetectorMode::kRecall;
    detect.score_threshold = redact::PhotoScanThreshold(options);
    second_opinion = options.second_opinion_below > 0;
  }
  auto faces = session.Detect(image, detect);
  if (!faces.ok()) return faces.status();
  // O-Net's opinion on the weak small detections, in one batch.
  std::vector<float> opinion(faces->size(), -1.0f);
  if (second_opinion) {
    auto asked =
        redact::AskSecondOpinions(session, image, *faces, options, redact::NeedsSecondOpinion);
    if (!asked.ok()) return asked.status();
    opinion = std::move(asked).value();
  }
  ImageRedaction result;
  for (size_t i = 0; i < faces->size(); ++i) {
    const Face& face = (*faces)[i];
    if (opinion[i] >= 0) {
      if (!redact::RedactsWithSecondOpinion(options, face, opinion[i])) continue;
    } else if (!redact::RedactsDetection(options, face.box, face.score)) {
      continue;
    }
    RedactedRegion region;
    region.second_opinion = opinion[i];
    region.face = face.box;
    region.region = redact::RegionForFace(face.box, redact::RegionScaleFor(options, face.box));
    region.score = face.score;
    region.kept = !redact::KeepIdentity(options, session, image, face).empty();
    if (!region.kept) ++result.faces_redacted;
    result.regions.push_back(region);
  }
  if (options.keep) {
    redact::PropagateKeep(result.regions);
    result.faces_redacted =
        static_cast<int>(std::count_if(result.regions.begin(), result.regions.end(),
                                       [](const RedactedRegion& r) { return !r.kept; }));
  }
  return result;
}

Status VerifyRedaction(Session& session, Image& image, const RedactOptions& options,
                       ImageRedaction* redaction) {
  FACET_RETURN_IF_ERROR(ValidateRedactOptions(options));
  redaction->residual_faces = 0;
  if (options.verify_rounds == 0 || image.empty()) return Status::Ok();
  redact::VerifyPlan plan = redact::VerifyPlanFor(options);
  plan.detect.mode = DetectorMode::kRecall;
  plan.encoding = options.verify_encoding;
  auto outcome = redact::VerifyDrawn(session, image, plan, &redaction->regions);
  if (!outcome.ok()) return outcome.status();
  redaction->faces_redacted += outcome->added;
  redaction->residual_faces = outcome->residual;
  return Status::Ok();
}

Result<ImageRedaction> RedactImage(Session& session, Image& image, const RedactOptions& options) {
  auto result = FindRedactions(session, image, options);
  if (!result.ok()) return result;
  DrawRedactions(image, result->regions, options.mode, options.shape);
  FACET_RETURN_IF_ERROR(VerifyRedaction(session, image, options, &result.value()));
  result->redacted_share =
      RedactedShare(result->regions, options.shape, image.width(), image.height());
  return result;
}

}  // namespace facet
