#include "detect/face_detector.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace facet::detect {

bool CutByInteriorTileEdge(const Box& box, const cv::Rect& tile, const cv::Size& image,
                           float tolerance) {
  const float tol_x = tolerance * box.width;
  const float tol_y = tolerance * box.height;
  if (tile.x > 0 && box.x < tile.x - tol_x) return true;
  if (tile.y > 0 && box.y < tile.y - tol_y) return true;
  if (tile.x + tile.width < image.width && box.x + box.width > tile.x + tile.width + tol_x) {
    return true;
  }
  if (tile.y + tile.height < image.height && box.y + box.height > tile.y + tile.height + tol_y) {
    return true;
  }
  return false;
}

Result<DetectorKind> ParseDetectorKind(std::string_view name) {
  if (name == "retinaface") return DetectorKind::kRetinaFace;
  if (name == "blazeface") return DetectorKind::kBlazeFace;
  return Status::InvalidArgument("unknown detector '" + std::string(name) +
                                 "' (known: retinaface, blazeface)");
}

std::vector<float> PlanPyramid(int width, int height, const PyramidOptions& options) {
  const auto longer = static_cast<float>(std::max(width, height));
  if (!(longer > 0)) return {};
  const float finest = std::min(options.max_scale, static_cast<float>(options.max_side) / longer);
  std::vector<float> scales = {finest};
  if (options.coarse_side <= 0 ||
      finest * longer <= 1.25f * static_cast<float>(options.coarse_side)) {
    return scales;
  }
  const float coarse = static_cast<float>(options.coarse_side) / longer;
  while (options.pass_ratio > 1 && scales.back() / coarse > options.pass_ratio) {
    scales.push_back(scales.back() / 2);
  }
  if (scales.back() * longer > 1.25f * static_cast<float>(options.coarse_side)) {
    scales.push_back(coarse);
  }
  return scales;
}

float RegionScale(float region_side, const PyramidOptions& pyramid) {
  return std::min(pyramid.max_scale,
                  static_cast<float>(pyramid.region_side) / std::max(1.0f, region_side));
}

float SmallestFaceInRegion(DetectorKind kind, float region_side, const PyramidOptions& pyramid) {
  if (kind == DetectorKind::kBlazeFace) return SmallestFaceInTile(region_side);
  // The smallest anchor is 16 input pixels; faces down to ~0.75 of it are found.
  return 12.0f / RegionScale(region_side, pyramid);
}

bool PassCanSee(float scale, float face_side) {
  const float input_side = face_side * scale;
  if (input_side < kConfirmMinInputSide) return false;
  return scale <= 1.0f || input_side <= kEnlargedPassMaxFace;
}

void CountPassAgreement(const std::vector<Detection>& found, const std::vector<float>& scales,
                        std::vector<Detection>* kept) {
  for (Detection& d : *kept) {
    const float side = std::max(d.box.width, d.box.height);
    d.passes_able = 0;
    d.passes_agreeing = 0;
    for (size_t pass = 0; pass < scales.size(); ++pass) {
      if (!PassCanSee(scales[pass], side)) continue;
      ++d.passes_able;
      const bool found_here = std::any_of(found.begin(), found.end(), [&](const Detection& f) {
        return f.pass == static_cast<int>(pass) &&
               IntersectionOverUnion(f.box, d.box) >= kPassAgreementIou;
      });
      if (found_here) ++d.passes_agreeing;
    }
  }
}

void DropUnconfirmed(const std::vector<Detection>& found, const std::vector<float>& scales,
                     float confirm_below, std::vector<Detection>* kept) {
  CountPassAgreement(found, scales, kept);
  std::erase_if(*kept, [&](const Detection& d) {
    return d.score < confirm_below && d.SeenAtOneScaleOnly();
  });
}

NmsOptions RetinaFaceNms() { return {.method = NmsMethod::kHard, .iou_threshold = 0.3f}; }

std::vector<Detection> DropFragments(std::vector<Detection> detections, float inside_share) {
  std::vector<bool> drop(detections.size(), false);
  for (size_t i = 0; i < detections.size(); ++i) {
    const Box& small = detections[i].box;
    const float area = small.width * small.height;
    if (!(area > 0)) continue;
    for (size_t j = 0; j < detections.size() && !drop[i]; ++j) {
      if (j == i || drop[j]) continue;
      const bool better = detections[j].score > detections[i].score ||
                          (detections[j].score == detections[i].score && j < i);
      if (better && IntersectionArea(small, detections[j].box) >= inside_share * area) {
        drop[i] = true;
      }
    }
  }
  std::vector<Detection> kept;
  for (size_t i = 0; i < detections.size(); ++i) {
    if (!drop[i]) kept.push_back(detections[i]);
  }
  return kept;
}

Result<std::unique_ptr<FaceDetector>> FaceDetector::Create(DetectorKind kind,
                                                           const nn::ModelFile& model,
                                                           const RetinaFaceSpec& retinaface_spec) {
  if (kind == DetectorKind::kBlazeFace) {
    auto blazeface = BlazeFace::Create(model);
    if (!blazeface.ok()) return blazeface.status();
    return std::unique_ptr<FaceDetector>(
        new FaceDetector(kind, std::move(blazeface).value(), nullptr));
  }
  auto retinaface = RetinaFace::Create(model, retinaface_spec);
  if (!retinaface.ok()) return retinaface.status();
  return std::unique_ptr<FaceDetector>(
      new FaceDetector(kind, nullptr, std::move(retinaface).value()));
}

Status FaceDetector::ScanRegion(const cv::Mat& image_bgr, const cv::Rect& rect, float scale,
                                float score_threshold) {
  const size_t first = scratch_.size();
  if (kind_ == DetectorKind::kBlazeFace) {
    FACET_RETURN_IF_ERROR(blazeface_->DetectRegion(image_bgr, rect, score_threshold, &scratch_));
  } else {
    FACET_RETURN_IF_ERROR(
        retinaface_->DetectRegion(image_bgr, rect, scale, score_threshold, &scratch_));
  }
  const cv::Size size = image_bgr.size();
  if ((rect & cv::Rect(cv::Point(0, 0), size)) == cv::Rect(cv::Point(0, 0), size)) {
    return Status::Ok();  // the whole frame: nothing is cut, nothing too large
  }
  // Drop faces cut by an interior tile edge and faces too large for this tile (partial).
  DropFrom(first, [&](const Detection& d) {
    return d.box.width > 0.5f * static_cast<float>(rect.width) ||
           CutByInteriorTileEdge(d.box, rect, size, 0.1f);
  });
  return Status::Ok();
}

Result<std::vector<Detection>> FaceDetector::Detect(const cv::Mat& image_bgr,
                                                    const FaceDetectorConfig& config) {
  scratch_.clear();
  const cv::Size size = image_bgr.size();
  const cv::Rect frame(cv::Point(0, 0), size);
  std::vector<float> scales;  // RetinaFace's whole-frame passes, when it scans the frame
  if (!config.regions.empty()) {
    for (const cv::Rect& rect : config.regions) {
      FACET_RETURN_IF_ERROR(ScanRegion(
          image_bgr, rect,
          RegionScale(static_cast<float>(std::max(rect.width, rect.height)), config.pyramid),
          config.score_threshold));
    }
  } else if (kind_ == DetectorKind::kRetinaFace) {
    PyramidOptions pyramid = config.pyramid;
    const RetinaFaceSpec& spec = retinaface_->spec();
    if (spec.fixed_width > 0) {
      // A fixed input sees the frame once, scaled to fit it: no larger pass.
      pyramid.max_side = std::min({pyramid.max_side, spec.fixed_width, spec.fixed_height});
    }
    scales = PlanPyramid(size.width, size.height, pyramid);
    for (size_t pass = 0; pass < scales.size(); ++pass) {
      const float scale = scales[pass];
      const size_t first = scratch_.size();
      FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, frame, scale, config.score_threshold));
      for (size_t i = first; i < scratch_.size(); ++i) scratch_[i].pass = static_cast<int>(pass);
      // An enlarged pass is there for small faces; a coarser pass finds the large ones, and what
      // an enlarged pass takes for a large face is mostly texture seen too closely.
      if (scale <= 1.0f || scales.back() > 1.0f) continue;
      const float limit = kEnlargedPassMaxFace / scale;
      DropFrom(first,
               [&](const Detection& d) { return std::max(d.box.width, d.box.height) > limit; });
    }
  } else if (!config.use_tiles) {
    FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, frame, 1.0f, config.score_threshold));
  } else {
    for (const Tile& tile : PlanTiles(size.width, size.height, config.tiling)) {
      FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, tile.rect, 1.0f, config.score_threshold));
    }
  }
  if (kind_ == DetectorKind::kBlazeFace && scratch_.empty() && config.empty_retry_padding > 0) {
    const int pad_x = static_cast<int>(std::lround(size.width * config.empty_retry_padding));
    const int pad_y = static_cast<int>(std::lround(size.height * config.empty_retry_padding));
    FACET_RETURN_IF_ERROR(blazeface_->DetectRegion(
        image_bgr, cv::Rect(-pad_x, -pad_y, size.width + 2 * pad_x, size.height + 2 * pad_y),
        config.score_threshold, &scratch_));
  }
  std::vector<Detection> kept = SuppressOverlaps(scratch_, config.nms);
  if (kind_ == DetectorKind::kRetinaFace) kept = DropFragments(std::move(kept), 0.6f);
  if (scales.size() >= 2) {
    DropUnconfirmed(scratch_, scales, config.confirm_below_score, &kept);
  }
  return kept;
}

}  // namespace facet::detect
