#include "service/target_face.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "facet/image.h"

namespace facet::service {
namespace {

float IntersectionOverUnion(const Box& a, const Box& b) {
  const float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const float x1 = std::min(a.x + a.width, b.x + b.width);
  const float y1 = std::min(a.y + a.height, b.y + b.height);
  const float inter = std::max(0.0F, x1 - x0) * std::max(0.0F, y1 - y0);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0 ? inter / uni : 0.0F;
}

}  // namespace

MaybeError ParseTargetFace(std::string_view text, Box* out) {
  const ApiError bad{400, "BadArgument",
                     "targetFace must be left,top,width,height in pixels (non-negative integers, "
                     "width and height at least 1)"};
  int values[4] = {0, 0, 0, 0};
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t end = i < 3 ? text.find(',', start) : text.size();
    if (end == std::string_view::npos || end == start || end - start > 6) return bad;
    const std::string_view part = text.substr(start, end - start);
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), values[i]);
    if (ec != std::errc() || ptr != part.data() + part.size() || values[i] < 0) return bad;
    start = end + 1;
  }
  if (values[2] < 1 || values[3] < 1) return bad;
  *out = Box{.x = static_cast<float>(values[0]),
             .y = static_cast<float>(values[1]),
             .width = static_cast<float>(values[2]),
             .height = static_cast<float>(values[3])};
  return std::nullopt;
}

const Face* FaceAtTarget(const std::vector<Face>& faces, const Box& target) {
  const Face* best = nullptr;
  float best_overlap = kMinTargetOverlap;
  for (const Face& f : faces) {
    const float overlap = IntersectionOverUnion(f.box, target);
    if (overlap >= best_overlap) {
      best = &f;
      best_overlap = overlap;
    }
  }
  return best;
}

Result<EnrolledImage> EnrollFaceAt(Galleries& galleries, Session& session,
                                   std::span<const uint8_t> encoded,
                                   const EnrollImageOptions& options, const Box& target,
                                   const AuditContext& context) {
  auto image = DecodeImage(encoded);
  if (!image.ok()) return image.status();
  auto faces = session.Detect(image.value(), options.detect);
  if (!faces.ok()) return faces.status();
  const Face* face = FaceAtTarget(faces.value(), target);
  if (face == nullptr) return Status::NoFace("no face found at targetFace");
  if (face->quality.level < options.min_quality) {
    return Status::FailedPrecondition(
        std::string("face quality is ") + QualityLevelName(face->quality.level) + ", below the " +
        QualityLevelName(options.min_quality) + " needed for enrollment");
  }
  auto embedding = session.Embed(image.value(), *face);
  if (!embedding.ok()) return embedding.status();
  EnrollRequest request;
  request.gallery = options.gallery;
  request.person_id = options.person_id;
  request.embedding = std::move(embedding).value();
  request.quality = face->quality.level;
  request.source_sha256 = Sha256Hex(encoded);
  request.photo.assign(encoded.begin(), encoded.end());
  auto info = galleries.Enroll(request, context);
  if (!info.ok()) return info.status();
  EnrolledImage out;
  out.face = *face;
  out.info = std::move(info).value();
  out.faces_in_image = static_cast<int>(faces->size());
  return out;
}

}  // namespace facet::service
