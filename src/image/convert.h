// The one place facet converts between facet::Image and cv::Mat.
#ifndef FACET_SRC_IMAGE_CONVERT_H_
#define FACET_SRC_IMAGE_CONVERT_H_

#include <opencv2/core.hpp>

#include "facet/image.h"

namespace facet::image {

// A CV_8UC3 BGR view of `image`'s pixels; no copy. Valid while `image` is alive and unresized.
cv::Mat AsMat(const Image& image);
cv::Mat AsMutableMat(Image& image);

// Copies `mat` into an Image, converting to 8-bit BGR: CV_8UC1 (grey), CV_8UC3, CV_8UC4 (alpha
// composited over white), and the 16-bit variants (scaled by 1/257).
Image ImageFromMat(const cv::Mat& mat);

// Area-averages `src` down by the integer `factor` in both directions (OpenCV's fast integer
// INTER_AREA path, several times faster than a fractional area resize of a large image). Reads the
// top-left part of `src` whose sides are multiples of `factor` (up to factor - 1 pixels of the
// right and bottom edges are left out) and returns that part, in `src`'s pixels; `out` pixel i
// averages source pixels [i * factor, (i + 1) * factor). Returns an empty rect (and leaves `out`
// alone) when factor < 2 or `src` is smaller than factor.
cv::Rect ShrinkByInteger(const cv::Mat& src, int factor, cv::Mat* out);

// Resizes an 8-bit `src` (any channel count) down to `size` by area averaging: each output pixel
// is the mean of the source area it covers, pixels cut by a cell's edge weighted by the part
// inside (OpenCV's INTER_AREA; equal to cv::resize's result up to 1 from rounding). OpenCV takes a
// slow general path for a fractional factor, several times slower for large ones (a 400 x 500
// face region shrunk to 2 x 3 cells: 0.66 ms against 0.15 ms here); this sums whole rows with
// cv::reduce and weights only the cut ones; each value is the exact area mean correctly rounded
// up to float error. Other inputs (not 8-bit, or `size` not within 1 x 1 .. src.size()) are
// handed to cv::resize with INTER_AREA, which takes 1 to 4 channels.
void AreaDownscale(const cv::Mat& src, cv::Size size, cv::Mat* out);

}  // namespace facet::image

#endif  // FACET_SRC_IMAGE_CONVERT_H_
