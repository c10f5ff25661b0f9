// Face alignment: a least-squares similarity transform from 5 landmarks to a template, then a warp.
// Pure functions; thread-safe.
#ifndef FACET_SRC_ALIGN_ALIGN_H_
#define FACET_SRC_ALIGN_ALIGN_H_

#include <array>
#include <span>

#include <opencv2/core.hpp>

#include "facet/types.h"

namespace facet::align {

using Landmarks5 = std::array<Point, 5>;

// The ArcFace / InsightFace 5-point template for a 112x112 crop (eyes, nose, mouth corners).
Landmarks5 ArcFaceTemplate112();

// The same template scaled to a `size`-pixel square crop with `padding` (share of the crop
// added around the 112 template's content on each side, 0 = ArcFace framing).
Landmarks5 ScaledTemplate(int size, float padding);

// Least-squares similarity transform (rotation, uniform scale, translation; no reflection)
// mapping `from` onto `to` (Umeyama 1991). Returns the 2x3 matrix. Needs >= 2 distinct points.
cv::Matx23d EstimateSimilarity(std::span<const Point> from, std::span<const Point> to);

// Warps `image` (CV_8UC3) by the similarity `transform` (image -> crop) into an `out_size` square
// crop (outside the image: black). When the crop is much smaller than what it shows, the region is
// first shrunk with INTER_AREA by an integer factor so the warp does not alias. `out` is
// (re)allocated.
void WarpSimilarity(const cv::Mat& image, const cv::Matx23d& transform, int out_size, cv::Mat* out);

// Warps the face with landmarks `landmarks` in `image` (CV_8UC3) onto `template_points` in an
// `out_size` square crop. Faces much larger than the crop are first shrunk with INTER_AREA so the
// warp does not alias. `aligned` is (re)allocated.
void AlignFace(const cv::Mat& image, const Landmarks5& landmarks, const Landmarks5& template_points,
               int out_size, cv::Mat* aligned);

}  // namespace facet::align

#endif  // FACET_SRC_ALIGN_ALIGN_H_
