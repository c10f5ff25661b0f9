#include "detect/face_detector.h"

#include <cmath>

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

Result<std::unique_ptr<FaceDetector>> FaceDetector::Create(const nn::ModelFile& model) {
  auto blazeface = BlazeFace::Create(model);
  if (!blazeface.ok()) return blazeface.status();
  return std::unique_ptr<FaceDetector>(new FaceDetector(std::move(blazeface).value()));
}

Status FaceDetector::ScanRegion(const cv::Mat& image_bgr, const cv::Rect& rect,
                                float score_threshold) {
  const size_t first = scratch_.size();
  FACET_RETURN_IF_ERROR(blazeface_->DetectRegion(image_bgr, rect, score_threshold, &scratch_));
  const cv::Size size = image_bgr.size();
  if ((rect & cv::Rect(cv::Point(0, 0), size)) == cv::Rect(cv::Point(0, 0), size)) {
    return Status::Ok();  // the whole frame: nothing is cut, nothing too large
  }
  // Drop faces cut by an interior tile edge and faces too large for this tile (partial).
  size_t out = first;
  for (size_t i = first; i < scratch_.size(); ++i) {
    const Detection& d = scratch_[i];
    const bool too_large = d.box.width > 0.5f * static_cast<float>(rect.width);
    if (too_large || CutByInteriorTileEdge(d.box, rect, size, 0.1f)) continue;
    scratch_[out++] = d;
  }
  scratch_.resize(out);
  return Status::Ok();
}

Result<std::vector<Detection>> FaceDetector::Detect(const cv::Mat& image_bgr,
                                                    const FaceDetectorConfig& config) {
  scratch_.clear();
  const cv::Size size = image_bgr.size();
  if (!config.regions.empty()) {
    for (const cv::Rect& rect : config.regions) {
      FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, rect, config.score_threshold));
    }
  } else if (!config.use_tiles) {
    FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, cv::Rect(cv::Point(0, 0), size),
                                     config.score_threshold));
  } else {
    for (const Tile& tile : PlanTiles(size.width, size.height, config.tiling)) {
      FACET_RETURN_IF_ERROR(ScanRegion(image_bgr, tile.rect, config.score_threshold));
    }
  }
  if (scratch_.empty() && config.empty_retry_padding > 0) {
    const int pad_x = static_cast<int>(std::lround(size.width * config.empty_retry_padding));
    const int pad_y = static_cast<int>(std::lround(size.height * config.empty_retry_padding));
    FACET_RETURN_IF_ERROR(blazeface_->DetectRegion(
        image_bgr, cv::Rect(-pad_x, -pad_y, size.width + 2 * pad_x, size.height + 2 * pad_y),
        config.score_threshold, &scratch_));
  }
  return SuppressOverlaps(scratch_, config.nms);
}

}  // namespace facet::detect
