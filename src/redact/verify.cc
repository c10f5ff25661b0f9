#include "redact/verify.h"

#include <algorithm>
#include <utility>

#include "detect/detection.h"
#include "redact/draw.h"
#include "redact/rotation.h"

namespace facet::redact {
namespace {

// The picture a scan looks at: `image` as written (JPEG round trip) and upright.
Result<Image> ScannedPicture(const Image& image, const VerifyPlan& plan) {
  Image picture;
  if (plan.encoding == ImageFormat::kJpeg) {
    auto decoded = RoundTripImage(image, plan.encoding);
    if (!decoded.ok()) return decoded.status();
    picture = std::move(decoded).value();
  }
  if (plan.rotation_degrees == 0) return picture;
  return UprightImage(picture.empty() ? image : picture, plan.rotation_degrees);
}

// The redacted (not kept) region of `regions` holding the largest share of `box`, and that share;
// nullptr and 0 when none overlaps it.
struct Holder {
  const RedactedRegion* region = nullptr;
  float share = 0;
};
Holder RedactionHolding(const Box& box, const std::vector<RedactedRegion>& regions) {
  Holder best;
  const float area = box.width * box.height;
  if (!(area > 0)) return best;
  for (const RedactedRegion& r : regions) {
    if (r.kept) continue;
    const float share = detect::IntersectionArea(box, r.region) / area;
    if (share > best.share) best = {&r, share};
  }
  return best;
}

}  // namespace

VerifyPlan VerifyPlanFor(const RedactOptions& options) {
  VerifyPlan plan;
  plan.detect.score_threshold = options.verify_threshold;
  plan.detect.compute_quality = false;
  plan.detect.compute_landmarks = false;
  plan.rounds = options.verify_rounds;
  plan.mode = options.mode;
  plan.shape = options.shape;
  return plan;
}

bool CentreInKeptFace(const Box& box, const std::vector<RedactedRegion>& regions) {
  const float cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  return std::any_of(regions.begin(), regions.end(), [&](const RedactedRegion& r) {
    return r.kept && cx >= r.face.x && cx <= r.face.x + r.face.width && cy >= r.face.y &&
           cy <= r.face.y + r.face.height;
  });
}

Result<VerifyOutcome> VerifyDrawn(Session& session, Image& image, const VerifyPlan& plan,
                                  std::vector<RedactedRegion>* regions) {
  VerifyOutcome outcome;
  if (image.empty()) return outcome;
  for (int round = 1;; ++round) {
    auto picture = ScannedPicture(image, plan);
    if (!picture.ok()) return picture.status();
    // Empty: the image itself is what is scanned.
    auto faces = session.Detect(picture->empty() ? image : picture.value(), plan.detect);
    if (!faces.ok()) return faces.status();
    std::vector<RedactedRegion> found;
    for (const Face& face : faces.value()) {
      RedactedRegion region;
      region.face = UprightToCoded(face.box, plan.rotation_degrees, image.width(), image.height());
      if (CentreInKeptFace(region.face, *regions)) continue;
      // Only a face still seen through a redaction is strengthened: a detection outside every
      // redacted region is the scan's business (its threshold), not verification's, and
      // redacting what a blur itself looks like would grow false regions round after round.
      const Holder holder = RedactionHolding(region.face, *regions);
      if (holder.share < kVerifyMinShareInside) continue;
      // Strengthened, not grown: the region holding it is drawn again (a blur over a blur), so
      // verification never redacts a pixel the scan left alone. A box over several blurred heads
      // (the detector reading the blobs) would otherwise add a larger region round after round.
      region.region = holder.region->region;
      region.score = face.score;
      region.verify_round = round;
      found.push_back(region);
    }
    if (found.empty()) return outcome;
    if (round > plan.rounds) {
      outcome.residual = static_cast<int>(found.size());
      return outcome;
    }
    // Kept faces go along so that DrawRedactions puts them back where a new region reaches in.
    std::vector<RedactedRegion> to_draw = found;
    for (const RedactedRegion& r : *regions) {
      if (r.kept) to_draw.push_back(r);
    }
    DrawRedactions(image, to_draw, plan.mode, plan.shape);
    regions->insert(regions->end(), found.begin(), found.end());
    outcome.added += static_cast<int>(found.size());
  }
}

}  // namespace facet::redact
