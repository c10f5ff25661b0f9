#include "align/align.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet::align {

Landmarks5 ArcFaceTemplate112() {
  return {{{38.2946f, 51.6963f},
           {73.5318f, 51.5014f},
           {56.0252f, 71.7366f},
           {41.5493f, 92.3655f},
           {70.7299f, 92.2041f}}};
}

Landmarks5 ScaledTemplate(int size, float padding) {
  Landmarks5 points = ArcFaceTemplate112();
  const float content = static_cast<float>(size) / (1.0f + 2.0f * padding);
  const float scale = content / 112.0f;
  const float offset = padding * content;
  for (Point& p : points) p = {p.x * scale + offset, p.y * scale + offset};
  return points;
}

cv::Matx23d EstimateSimilarity(std::span<const Point> from, std::span<const Point> to) {
  const size_t n = std::min(from.size(), to.size());
  double mean_fx = 0, mean_fy = 0, mean_tx = 0, mean_ty = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_fx += from[i].x;
    mean_fy += from[i].y;
    mean_tx += to[i].x;
    mean_ty += to[i].y;
  }
  mean_fx /= n;
  mean_fy /= n;
  mean_tx /= n;
  mean_ty /= n;
  // For a similarity x' = [a -b; b a] x + t, the least-squares solution in centred coordinates:
  // a = sum(fx*tx + fy*ty) / sum|f|^2, b = sum(fx*ty - fy*tx) / sum|f|^2.
  double sxx = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n; ++i) {
    const double fx = from[i].x - mean_fx, fy = from[i].y - mean_fy;
    const double tx = to[i].x - mean_tx, ty = to[i].y - mean_ty;
    sxx += fx * fx + fy * fy;
    sa += fx * tx + fy * ty;
    sb += fx * ty - fy * tx;
  }
  if (sxx <= 1e-12) return cv::Matx23d(1, 0, mean_tx - mean_fx, 0, 1, mean_ty - mean_fy);
  const double a = sa / sxx;
  const double b = sb / sxx;
  return cv::Matx23d(a, -b, mean_tx - (a * mean_fx - b * mean_fy),  //
                     b, a, mean_ty - (b * mean_fx + a * mean_fy));
}

void WarpSimilarity(const cv::Mat& image, const cv::Matx23d& transform, int out_size,
                    cv::Mat* out) {
  const double scale = std::sqrt(transform(0, 0) * transform(0, 0) + transform(1, 0) * transform(1, 0));
  if (scale >= 0.5 || scale <= 0) {
    cv::warpAffine(image, *out, transform, cv::Size(out_size, out_size), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return;
  }
  // Shrink the part of the image the crop shows by an integer factor first (area averaging,
  // OpenCV's fast path), leaving the warp a scale in [0.5, 1).
  const int factor = static_cast<int>(std::ceil(0.5 / scale));
  cv::Matx23d inverse;
  cv::invertAffineTransform(transform, inverse);
  double min_x = 1e300, max_x = -1e300, min_y = 1e300, max_y = -1e300;
  for (const double u : {0.0, static_cast<double>(out_size)}) {
    for (const double v : {0.0, static_cast<double>(out_size)}) {
      const double x = inverse(0, 0) * u + inverse(0, 1) * v + inverse(0, 2);
      const double y = inverse(1, 0) * u + inverse(1, 1) * v + inverse(1, 2);
      min_x = std::min(min_x, x);
      max_x = std::max(max_x, x);
      min_y = std::min(min_y, y);
      max_y = std::max(max_y, y);
    }
  }
  const double margin = 2.0 * factor;
  const cv::Rect roi = cv::Rect(static_cast<int>(std::floor(min_x - margin)),
                                static_cast<int>(std::floor(min_y - margin)),
                                static_cast<int>(std::ceil(max_x - min_x + 2 * margin)),
                                static_cast<int>(std::ceil(max_y - min_y + 2 * margin))) &
                       cv::Rect(0, 0, image.cols, image.rows);
  cv::Mat small;
  if (roi.width <= 0 || roi.height <= 0 || image::ShrinkByInteger(image(roi), factor, &small).empty()) {
    cv::warpAffine(image, *out, transform, cv::Size(out_size, out_size), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar::all(0));
    return;
  }
  // Small pixel i averages ROI pixels [i * factor, (i + 1) * factor): pixel-centre convention,
  // x_small = (x - roi.x + 0.5) / factor - 0.5, composed with `transform`.
  const cv::Matx33d to_image(factor, 0, roi.x + 0.5 * factor - 0.5,  //
                             0, factor, roi.y + 0.5 * factor - 0.5,  //
                             0, 0, 1);
  const cv::Matx33d full(transform(0, 0), transform(0, 1), transform(0, 2),  //
                         transform(1, 0), transform(1, 1), transform(1, 2),  //
                         0, 0, 1);
  const cv::Matx33d composed = full * to_image;
  const cv::Matx23d small_transform(composed(0, 0), composed(0, 1), composed(0, 2),  //
                                    composed(1, 0), composed(1, 1), composed(1, 2));
  cv::warpAffine(small, *out, small_transform, cv::Size(out_size, out_size), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
}

void AlignFace(const cv::Mat& image, const Landmarks5& landmarks, const Landmarks5& template_points,
               int out_size, cv::Mat* aligned) {
  WarpSimilarity(image, EstimateSimilarity(landmarks, template_points), out_size, aligned);
}

}  // namespace facet::align
