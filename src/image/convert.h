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

}  // namespace facet::image

#endif  // FACET_SRC_IMAGE_CONVERT_H_
