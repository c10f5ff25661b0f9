// Small helpers of the gallery layer: validation, time and byte conversions, record lookups and
// record -> public type conversions.
#ifndef FACET_SRC_GALLERY_GALLERY_UTIL_H_
#define FACET_SRC_GALLERY_GALLERY_UTIL_H_

#include <span>
#include <string>
#include <string_view>

#include "gallery/gallery_internal.h"

namespace facet::gallery {

// Vectors added to an index per call when building or loading one.
constexpr size_t kIndexAddBatch = 4096;

// The HNSW options of a gallery's index policy.
index::HnswOptions HnswOptionsOf(const IndexPolicy& policy);

int64_t Ms(TimePoint t);
std::span<const uint8_t> Bytes(std::string_view text);

Status CheckActor(const AuditContext& context);
// Identify/verify/export: actor and purpose are required.
Status CheckActorAndPurpose(const AuditContext& context);
Status CheckGalleryName(const std::string& name);
Status CheckPersonId(const std::string& person_id);
// At most 1000 bytes, no control characters; `required`: not empty.
Status CheckText(const std::string& what, const std::string& text, bool required);
// Free text kept for the caller (userData): valid UTF-8 of at most `max_bytes`; may be empty.
Status CheckFreeText(const std::string& what, const std::string& text, size_t max_bytes);

Result<store::GalleryRecord> FindGalleryOrError(store::StoreTxn& txn, const std::string& name);
Result<store::PersonRecord> FindPersonOrError(store::StoreTxn& txn, const std::string& gallery,
                                              const std::string& person_id);
// The person, when `face_id` is one of their faces; kNotFound otherwise.
Result<store::PersonRecord> FindFaceOwnerOrError(store::StoreTxn& txn, const std::string& gallery,
                                                 const std::string& person_id, int64_t face_id);
// A gallery's settings as the public view has them (no labels, no counts).
GalleryInfo GallerySettingsOf(const store::GalleryRecord& record);

Result<PersonInfo> MakePersonInfo(const Galleries::Impl& impl, store::StoreTxn& txn,
                                  const store::PersonRecord& person);
ConsentInfo MakeConsentInfo(const store::ConsentRecord& consent, int64_t now_ms);
// Without its user data (sealed under the person's key): MakeFaceInfos opens it.
FaceInfo MakeFaceInfo(const store::FaceRecord& face);
// The FaceInfo of each face of `person`, user data opened (kCorruptData if it does not).
Result<std::vector<FaceInfo>> MakeFaceInfos(const Galleries::Impl& impl,
                                            const store::PersonRecord& person,
                                            const std::vector<store::FaceRecord>& faces);

const char* QualityName(QualityLevel level);
QualityLevel QualityFromName(const std::string& name);

// Template values <-> little-endian float32 bytes.
std::vector<uint8_t> FloatBytes(const std::vector<float>& values);
Result<std::vector<float>> BytesToFloats(const std::vector<uint8_t>& bytes, int dimensions);

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_GALLERY_UTIL_H_
