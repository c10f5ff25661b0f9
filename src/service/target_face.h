// Azure's targetFace for adding a face: which face of a photo with several to enroll.
//
// facet needs a face's landmarks to align it, so it detects again and enrolls the detected face
// that overlaps the given rectangle best (intersection over union at least kMinTargetOverlap),
// rather than trusting the rectangle alone as Azure does.
//
// Thread-safety: reentrant (the Session belongs to the calling worker).
#ifndef FACET_SRC_SERVICE_TARGET_FACE_H_
#define FACET_SRC_SERVICE_TARGET_FACE_H_

#include <span>
#include <string_view>
#include <vector>

#include "facet/engine.h"
#include "facet/gallery.h"
#include "service/request_parsing.h"

namespace facet::service {

inline constexpr float kMinTargetOverlap = 0.3F;

// Parses "left,top,width,height" (non-negative integers; width and height at least 1).
MaybeError ParseTargetFace(std::string_view text, Box* out);

// The face of `faces` overlapping `target` best; null when none overlaps it by
// kMinTargetOverlap (intersection over union).
const Face* FaceAtTarget(const std::vector<Face>& faces, const Box& target);

// EnrollImage (facet/gallery.h) for the face at `target` instead of the largest: kNoFace when no
// detected face is at the rectangle.
Result<EnrolledImage> EnrollFaceAt(Galleries& galleries, Session& session,
                                   std::span<const uint8_t> encoded,
                                   const EnrollImageOptions& options, const Box& target,
                                   const AuditContext& context);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TARGET_FACE_H_
