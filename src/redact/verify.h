// The verification loop shared by photos (VerifyRedaction) and video (RedactVideo): scan the
// drawn output as a recogniser would, redact what is still found, scan again.
//
// Thread-safety: a pure function of its arguments and the Session it is given.
#ifndef FACET_SRC_REDACT_VERIFY_H_
#define FACET_SRC_REDACT_VERIFY_H_

#include <vector>

#include "facet/engine.h"
#include "facet/image.h"
#include "facet/redact.h"

namespace facet::redact {

struct VerifyPlan {
  DetectOptions detect;  // what one scan runs (its threshold is the verification threshold)
  // kJpeg: each scan looks at the image encoded as JPEG and decoded again (as written); other
  // formats are lossless and scanned in memory.
  ImageFormat encoding = ImageFormat::kUnknown;
  int rounds = 0;  // rounds that redact what a scan found; the scan after the last only counts
  RedactMode mode = RedactMode::kBlur;
  RedactShape shape = RedactShape::kEllipse;
  // Video: the picture the detector scans is `image` rotated clockwise by this (0, 90, 180,
  // 270); regions and `detect.regions` stay in their own coordinates (regions: as coded;
  // detect.regions: upright).
  int rotation_degrees = 0;
};

// The plan `options` asks for: its threshold, rounds and drawing, boxes only (no landmarks or
// quality). The caller sets what differs between photos and video (detector mode, encoding,
// rotation, a lowered threshold).
VerifyPlan VerifyPlanFor(const RedactOptions& options);

struct VerifyOutcome {
  int added = 0;     // regions appended (redacted) by the rounds
  int residual = 0;  // detections the last scan still found (0 when it ended clean)
};

// Whether the centre of `box` lies in the face box of a kept region of `regions` (edges
// included): such a detection is that face, left visible.
bool CentreInKeptFace(const Box& box, const std::vector<RedactedRegion>& regions);

// A verification detection counts only when at least this share of its box lies inside a region
// already redacted (a face still seen through its blur).
inline constexpr float kVerifyMinShareInside = 0.5f;

// Scans `image`, already drawn with `regions`, redacts each detection whose centre does not lie
// in a kept region's face box and that lies mostly inside a redacted region (a face seen through
// its redaction: kVerifyMinShareInside) by drawing that region again (its own box and shape:
// the area redacted never grows), and repeats while a scan finds something, for at most
// plan.rounds rounds. Appends the strengthened regions (verify_round set, `face` the detection,
// `region` the region drawn again) to `regions`.
Result<VerifyOutcome> VerifyDrawn(Session& session, Image& image, const VerifyPlan& plan,
                                  std::vector<RedactedRegion>* regions);

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_VERIFY_H_
