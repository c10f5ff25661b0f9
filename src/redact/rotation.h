// Videos carry a rotation for players (the display matrix): detection runs on the upright
// picture (the detector is not rotation-invariant), drawing on the frame as coded.
#ifndef FACET_SRC_REDACT_ROTATION_H_
#define FACET_SRC_REDACT_ROTATION_H_

#include <opencv2/core.hpp>

#include "facet/image.h"
#include "facet/types.h"

namespace facet::redact {

// Rotates `coded` clockwise by `clockwise_degrees` (0, 90, 180 or 270) into `upright`.
void RotateUpright(const cv::Mat& coded, int clockwise_degrees, cv::Mat* upright);

// `coded` rotated clockwise by `clockwise_degrees` (90, 180 or 270; 0 gives a copy), as a new
// image.
Image UprightImage(const Image& coded, int clockwise_degrees);

// Maps a box of the upright picture back to the coded frame (coded_width x coded_height).
Box UprightToCoded(const Box& box, int clockwise_degrees, int coded_width, int coded_height);

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_ROTATION_H_
