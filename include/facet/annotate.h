// Drawing detection results for people to look at.
#ifndef FACET_ANNOTATE_H_
#define FACET_ANNOTATE_H_

#include <vector>

#include "facet/image.h"
#include "facet/types.h"

namespace facet {

// Returns a copy of `image` with each face's box (coloured by quality: green high, yellow medium,
// red low), its 5 landmarks (blue), its 68 landmarks (cyan) and its score drawn on it; with the
// quality verdict and head pose (yaw, pitch) when quality was computed.
Image AnnotateFaces(const Image& image, const std::vector<Face>& faces);

}  // namespace facet

#endif  // FACET_ANNOTATE_H_
