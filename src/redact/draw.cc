#include "redact/draw.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet::redact {
namespace {

// Blocks across the region in pixelate mode, and pixels across it that the blur keeps.
constexpr float kPixelateBlocks = 8.0f;
// Blur: 2 cells across the region leave no face-like shading (eyes, mouth) for a detector to
// find; with 6 the detector still found many blurred heads at its normal threshold
// (docs/redact.md has the measurement).
constexpr float kBlurCells = 2.0f;

// First pixel whose centre is at or after `edge`.
int FirstPixelFrom(double edge) { return static_cast<int>(std::ceil(edge - 0.5)); }

// The redacted look of `roi` (the area's bounding rectangle, region size region_w x region_h).
void RenderRedacted(const cv::Mat& roi, float region_w, RedactMode mode, cv::Mat* out) {
  if (mode == RedactMode::kFill) {
    out->create(roi.size(), roi.type());
    out->setTo(cv::Scalar::all(0));
    return;
  }
  const float cells = mode == RedactMode::kPixelate ? kPixelateBlocks : kBlurCells;
  // Cell size in pixels: the region's width over the cell count, at least 2 pixels.
  const float cell = std::max(2.0f, region_w / cells);
  const cv::Size small(
      std::max(1, static_cast<int>(std::ceil(static_cast<float>(roi.cols) / cell))),
      std::max(1, static_cast<int>(std::ceil(static_cast<float>(roi.rows) / cell))));
  cv::Mat reduced;
  image::AreaDownscale(roi, small, &reduced);
  if (mode == RedactMode::kPixelate) {
    cv::resize(reduced, *out, roi.size(), 0, 0, cv::INTER_NEAREST);
    return;
  }
  // Blur: smooth the few remaining cells, then enlarge smoothly.
  cv::GaussianBlur(reduced, reduced, cv::Size(3, 3), 0, 0, cv::BORDER_REPLICATE);
  cv::resize(reduced, *out, roi.size(), 0, 0, cv::INTER_LINEAR);
}

}  // namespace

Box ScaleBox(const Box& face, float scale) {
  const float w = face.width * scale;
  const float h = face.height * scale;
  return {face.x + face.width / 2 - w / 2, face.y + face.height / 2 - h / 2, w, h};
}

Box HeadBox(const Box& face) {
  const float height = face.height * kHeadHeight;
  const float centre_y = face.y + face.height / 2 - kHeadRaise * face.height;
  return {face.x, centre_y - height / 2, face.width, height};
}

Box RegionForFace(const Box& face, float scale) { return ScaleBox(HeadBox(face), scale); }

void PropagateKeep(std::vector<RedactedRegion>& regions) {
  std::vector<Box> kept;
  for (const RedactedRegion& r : regions) {
    if (r.kept) kept.push_back(r.face);
  }
  for (RedactedRegion& r : regions) {
    if (r.kept) continue;
    const float area = r.face.width * r.face.height;
    for (const Box& k : kept) {
      const float iw = std::min(r.face.x + r.face.width, k.x + k.width) - std::max(r.face.x, k.x);
      const float ih = std::min(r.face.y + r.face.height, k.y + k.height) - std::max(r.face.y, k.y);
      if (iw > 0 && ih > 0 && iw * ih >= 0.5f * area) {
        r.kept = true;
        break;
      }
    }
  }
}

std::vector<Span> RegionSpans(const Box& region, RedactShape shape, int width, int height) {
  std::vector<Span> spans;
  if (!(region.width > 0 && region.height > 0) || width <= 0 || height <= 0) return spans;
  const double x0 = region.x, y0 = region.y;
  const double x1 = x0 + region.width, y1 = y0 + region.height;
  const int row_begin = std::max(0, FirstPixelFrom(y0));
  const int row_end = std::min(height, FirstPixelFrom(y1));
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const double a = region.width / 2.0, b = region.height / 2.0;
  for (int y = row_begin; y < row_end; ++y) {
    double left = x0, right = x1;
    if (shape == RedactShape::kEllipse) {
      const double dy = (y + 0.5 - cy) / b;
      if (dy * dy > 1) continue;
      const double half = a * std::sqrt(1 - dy * dy);
      left = cx - half;
      right = cx + half;
    }
    // Pixels whose centre lies in [left, right) (the box) or [left, right] (the ellipse; the
    // difference is a set of measure zero, kept consistent by using the same rule for both).
    const int begin = std::max(0, FirstPixelFrom(left));
    const int end = std::min(width, FirstPixelFrom(right));
    if (end > begin) spans.push_back({y, begin, end});
  }
  return spans;
}

cv::Rect RegionBounds(const Box& region, int width, int height) {
  const double x0 = region.x, y0 = region.y;
  const int left = std::max(0, FirstPixelFrom(x0));
  const int top = std::max(0, FirstPixelFrom(y0));
  const int right = std::min(width, FirstPixelFrom(x0 + region.width));
  const int bottom = std::min(height, FirstPixelFrom(y0 + region.height));
  if (right <= left || bottom <= top) return {};
  return {left, top, right - left, bottom - top};
}

void RedactRegion(cv::Mat& image_bgr, const Box& region, RedactMode mode, RedactShape shape) {
  const cv::Rect bounds = RegionBounds(region, image_bgr.cols, image_bgr.rows);
  if (bounds.empty()) return;
  cv::Mat redacted;
  RenderRedacted(image_bgr(bounds), region.width, mode, &redacted);
  for (const Span& span : RegionSpans(region, shape, image_bgr.cols, image_bgr.rows)) {
    const uint8_t* from = redacted.ptr<uint8_t>(span.y - bounds.y) + 3 * (span.x_begin - bounds.x);
    uint8_t* to = image_bgr.ptr<uint8_t>(span.y) + 3 * span.x_begin;
    std::copy(from, from + 3 * (span.x_end - span.x_begin), to);
  }
}

void RenderMask(const std::vector<Box>& regions, RedactShape shape, int width, int height,
                cv::Mat* mask) {
  mask->create(height, width, CV_8UC1);
  mask->setTo(cv::Scalar::all(0));
  for (const Box& region : regions) {
    for (const Span& span : RegionSpans(region, shape, width, height)) {
      uint8_t* row = mask->ptr<uint8_t>(span.y);
      std::fill(row + span.x_begin, row + span.x_end, uint8_t{255});
    }
  }
}

float MaskCoverage(const cv::Mat& mask, const Box& box) {
  std::vector<Span> spans = RegionSpans(box, RedactShape::kBox, mask.cols, mask.rows);
  if (spans.empty()) {
    // A box too thin to hold a pixel centre: judge it by the pixel under its centre.
    const int x = static_cast<int>(std::floor(box.x + box.width / 2));
    const int y = static_cast<int>(std::floor(box.y + box.height / 2));
    if (x < 0 || y < 0 || x >= mask.cols || y >= mask.rows) return 0;
    return mask.at<uint8_t>(y, x) != 0 ? 1.0f : 0.0f;
  }
  int64_t total = 0, covered = 0;
  for (const Span& span : spans) {
    const uint8_t* row = mask.ptr<uint8_t>(span.y);
    total += span.x_end - span.x_begin;
    covered +=
        std::count_if(row + span.x_begin, row + span.x_end, [](uint8_t v) { return v != 0; });
  }
  return static_cast<float>(static_cast<double>(covered) / static_cast<double>(total));
}

}  // namespace facet::redact
