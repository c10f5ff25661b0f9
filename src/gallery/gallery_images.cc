// Image-level gallery helpers: detection and embedding with a Session, then the gallery call.
#include "detect/detection.h"
#include "facet/gallery.h"

namespace facet {
namespace {

// The face overlapping `target` best, by at least kMinTargetOverlap; null when none does.
const Face* FaceAtTarget(const std::vector<Face>& faces, const Box& target) {
  const Face* best = nullptr;
  float best_overlap = kMinTargetOverlap;
  for (const Face& f : faces) {
    const float overlap = detect::IntersectionOverUnion(f.box, target);
    if (overlap >= best_overlap) {
      best = &f;
      best_overlap = overlap;
    }
  }
  return best;
}

}  // namespace

Result<EnrolledImage> EnrollImage(Galleries& galleries, Session& session,
                                  std::span<const uint8_t> encoded,
                                  const EnrollImageOptions& options, const AuditContext& context) {
  auto image = DecodeImage(encoded);
  if (!image.ok()) return image.status();
  auto faces = session.Detect(image.value(), options.detect);
  if (!faces.ok()) return faces.status();
  const Face* face = options.target_face ? FaceAtTarget(faces.value(), *options.target_face)
                                         : LargestFace(faces.value());
  if (face == nullptr) {
    return Status::NoFace(options.target_face ? "no face found at targetFace" : "no face found");
  }
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
  request.user_data = options.user_data;
  auto info = galleries.Enroll(request, context);
  if (!info.ok()) return info.status();
  EnrolledImage out;
  out.face = *face;
  out.info = std::move(info).value();
  out.faces_in_image = static_cast<int>(faces->size());
  return out;
}

Result<std::vector<IdentifiedFace>> IdentifyFaces(Galleries& galleries, Session& session,
                                                  const Image& image, std::span<const Face> faces,
                                                  const std::string& gallery,
                                                  const IdentifyOptions& options) {
  std::vector<IdentifiedFace> out;
  if (faces.empty()) return out;
  const std::vector<Face> list(faces.begin(), faces.end());
  auto embeddings = session.EmbedAll(image, list);
  if (!embeddings.ok()) return embeddings.status();
  auto found = galleries.Identify(gallery, embeddings.value(), options);
  if (!found.ok()) return found.status();
  for (size_t i = 0; i < list.size(); ++i) out.push_back({list[i], std::move((*found)[i])});
  return out;
}

}  // namespace facet
