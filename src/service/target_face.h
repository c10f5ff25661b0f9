// Azure's targetFace for adding a face: which face of a photo with several to enroll. The
// parsed rectangle goes to EnrollImageOptions::target_face (facet/gallery.h), which picks the
// detected face at it.
//
// Thread-safety: a pure function.
#ifndef FACET_SRC_SERVICE_TARGET_FACE_H_
#define FACET_SRC_SERVICE_TARGET_FACE_H_

#include <string_view>

#include "facet/types.h"
#include "service/request_parsing.h"

namespace facet::service {

// Parses "left,top,width,height" (non-negative integers; width and height at least 1).
MaybeError ParseTargetFace(std::string_view text, Box* out);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TARGET_FACE_H_
