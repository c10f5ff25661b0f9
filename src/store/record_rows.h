// The column lists of the record tables and the decoding of one selected row into a record,
// shared by the backends (their SQL selects these columns in this order). `Row` adapts a
// backend's result row: Int, Real, Bool, Text, Bytes and OptionalInt of a column index.
// Stateless; safe from any thread.
#ifndef FACET_SRC_STORE_RECORD_ROWS_H_
#define FACET_SRC_STORE_RECORD_ROWS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "store/template_store.h"

namespace facet::store {

inline constexpr const char* kGalleryColumns =
    "id, name, purpose, use, model, model_version, dimensions, fmr, threshold, threshold_fmr_1e3, "
    "threshold_fmr_1e4, keep_photos, created_ms, generation, sealed_profile, requested_model, "
    "mac";
inline constexpr const char* kPersonColumns =
    "id, gallery_id, person_id, uid, sealed_profile, wrapped_key, created_ms, mac";
inline constexpr const char* kConsentColumns =
    "id, person_id, granted_by, scope, purpose, evidence, granted_ms, expires_ms, revoked_ms, "
    "sealed_details, mac";

// A 32-byte hash column (the audit chain's): shorter input is zero-padded, longer truncated.
inline std::array<uint8_t, 32> ToHash(const std::vector<uint8_t>& bytes) {
  std::array<uint8_t, 32> out{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
  return out;
}

// The faces' column list; without the photo, its column reads NULL (has_photo is still set).
inline std::string FaceColumns(bool with_photo) {
  return std::string(
             "id, person_id, gallery_id, sealed_template, quality, source_sha256, created_ms, ") +
         (with_photo ? "sealed_photo" : "NULL") +
         ", sealed_photo IS NOT NULL, sealed_user_data, sealed_source, mac";
}

template <typename Row>
GalleryRecord GalleryFromRow(const Row& r) {
  GalleryRecord g;
  g.id = r.Int(0);
  g.name = r.Text(1);
  g.purpose = r.Text(2);
  g.use = r.Text(3);
  g.model = r.Text(4);
  g.model_version = r.Text(5);
  g.dimensions = static_cast<int>(r.Int(6));
  g.fmr = r.Real(7);
  g.threshold = static_cast<float>(r.Real(8));
  g.threshold_fmr_1e3 = static_cast<float>(r.Real(9));
  g.threshold_fmr_1e4 = static_cast<float>(r.Real(10));
  g.keep_photos = r.Bool(11);
  g.created_ms = r.Int(12);
  g.generation = r.Int(13);
  g.sealed_profile = r.Bytes(14);
  g.requested_model = r.Text(15);
  g.mac = r.Bytes(16);
  return g;
}

template <typename Row>
PersonRecord PersonFromRow(const Row& r) {
  PersonRecord p;
  p.id = r.Int(0);
  p.gallery_id = r.Int(1);
  p.person_id = r.Text(2);
  p.uid = r.Text(3);
  p.sealed_profile = r.Bytes(4);
  p.wrapped_key = r.Bytes(5);
  p.created_ms = r.Int(6);
  p.mac = r.Bytes(7);
  return p;
}

template <typename Row>
ConsentRecord ConsentFromRow(const Row& r) {
  ConsentRecord c;
  c.id = r.Int(0);
  c.person_id = r.Int(1);
  c.granted_by = r.Text(2);
  c.scope = r.Text(3);
  c.purpose = r.Text(4);
  c.evidence = r.Text(5);
  c.granted_ms = r.Int(6);
  c.expires_ms = r.OptionalInt(7);
  c.revoked_ms = r.OptionalInt(8);
  c.sealed_details = r.Bytes(9);
  c.mac = r.Bytes(10);
  return c;
}

template <typename Row>
FaceRecord FaceFromRow(const Row& r) {
  FaceRecord f;
  f.id = r.Int(0);
  f.person_id = r.Int(1);
  f.gallery_id = r.Int(2);
  f.sealed_template = r.Bytes(3);
  f.quality = r.Text(4);
  f.source_sha256 = r.Text(5);
  f.created_ms = r.Int(6);
  f.sealed_photo = r.Bytes(7);
  f.has_photo = r.Bool(8);
  f.sealed_user_data = r.Bytes(9);
  f.sealed_source = r.Bytes(10);
  f.mac = r.Bytes(11);
  return f;
}

}  // namespace facet::store

#endif  // FACET_SRC_STORE_RECORD_ROWS_H_
