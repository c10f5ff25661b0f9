// Row MACs and sealed row fields (row_protector.h; docs/store_format.md "Row MACs").
#include "gallery/row_protector.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

namespace facet::gallery {
namespace {

using json = nlohmann::json;

// Feeds typed, length-prefixed fields to a keyed BLAKE2b, so that no two different rows can
// produce the same byte stream.
class MacInput {
 public:
  explicit MacInput(const crypto::SecretKey& key) : hasher_(&key) {}

  MacInput& Int(int64_t value) {
    uint8_t bytes[9] = {'i'};
    for (int i = 0; i < 8; ++i) {
      bytes[1 + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (56 - 8 * i));
    }
    hasher_.Update(std::span<const uint8_t>(bytes, sizeof bytes));
    return *this;
  }
  MacInput& OptionalInt(const std::optional<int64_t>& value) {
    hasher_.Update(value.has_value() ? std::string_view("o1") : std::string_view("o0"));
    return value.has_value() ? Int(*value) : *this;
  }
  MacInput& Real(double value) { return Int(std::bit_cast<int64_t>(value)); }
  MacInput& Text(std::string_view text) {
    Length('t', text.size());
    hasher_.Update(text);
    return *this;
  }
  MacInput& Bytes(std::span<const uint8_t> bytes) {
    Length('b', bytes.size());
    hasher_.Update(bytes);
    return *this;
  }
  std::vector<uint8_t> Final() {
    const auto digest = hasher_.Final();
    return {digest.begin(), digest.end()};
  }

 private:
  void Length(char tag, size_t size) {
    hasher_.Update(std::string_view(&tag, 1));
    Int(static_cast<int64_t>(size));
  }
  crypto::Blake2bHasher hasher_;
};

// The first 24 (nonce) and last 16 (tag) bytes of a sealed blob: they identify it, and the AEAD
// authenticates the rest.
std::vector<uint8_t> SealedFingerprint(const std::vector<uint8_t>& sealed) {
  if (sealed.size() <= 40) return sealed;
  std::vector<uint8_t> out(sealed.begin(), sealed.begin() + 24);
  out.insert(out.end(), sealed.end() - 16, sealed.end());
  return out;
}

std::string ConsentContext(const std::string& uid) { return "facet.consent.v1|" + uid; }
std::string SourceContext(const std::string& uid) { return "facet.face_source.v1|" + uid; }

std::string Row(store::RowTable table, int64_t id) {
  return std::string(store::RowTableName(table)) + " row " + std::to_string(id);
}

}  // namespace

Result<crypto::SecretKey> DeriveRowMacKey(const crypto::SecretKey& master) {
  return crypto::DeriveSubkey(master, 4, "facetrow");
}

std::vector<uint8_t> RowProtector::GalleryMac(const store::GalleryRecord& g) const {
  MacInput in(mac_key_);
  in.Text("facet.row.v1").Text(store_uid_).Text("galleries").Int(g.id);
  in.Text(g.name).Text(g.purpose).Text(g.use).Text(g.model).Text(g.model_version);
  in.Int(g.dimensions).Real(g.fmr).Real(g.threshold).Real(g.threshold_fmr_1e3);
  in.Real(g.threshold_fmr_1e4).Int(g.keep_photos ? 1 : 0).Int(g.created_ms);
  in.Bytes(g.sealed_profile).Text(g.requested_model);
  return in.Final();
}

std::vector<uint8_t> RowProtector::PersonMac(const store::PersonRecord& p) const {
  MacInput in(mac_key_);
  in.Text("facet.row.v1").Text(store_uid_).Text("persons").Int(p.id).Int(p.gallery_id);
  in.Text(p.person_id).Text(p.uid).Bytes(p.sealed_profile).Bytes(p.wrapped_key).Int(p.created_ms);
  return in.Final();
}

std::vector<uint8_t> RowProtector::ConsentMac(const store::ConsentRecord& c,
                                              const std::string& uid) const {
  MacInput in(mac_key_);
  in.Text("facet.row.v1").Text(store_uid_).Text("consents").Int(c.id).Int(c.person_id).Text(uid);
  in.Text(c.granted_by).Text(c.scope).Text(c.purpose).Text(c.evidence).Int(c.granted_ms);
  in.OptionalInt(c.expires_ms).OptionalInt(c.revoked_ms).Bytes(c.sealed_details);
  return in.Final();
}

std::vector<uint8_t> RowProtector::FaceMac(const store::FaceRecord& f,
                                           const std::string& uid) const {
  MacInput in(mac_key_);
  in.Text("facet.row.v1").Text(store_uid_).Text("faces").Int(f.id).Int(f.person_id).Text(uid);
  in.Int(f.gallery_id).Bytes(SealedFingerprint(f.sealed_template)).Text(f.quality);
  in.Text(f.source_sha256).Int(f.created_ms).Int(f.has_photo ? 1 : 0).Bytes(f.sealed_source);
  in.Bytes(f.sealed_user_data);
  return in.Final();
}

Status RowProtector::Compare(const std::vector<uint8_t>& stored,
                             const std::vector<uint8_t>& expected, const std::string& row) const {
  if (stored.empty()) {
    return Status::StoreCorrupt("store integrity: " + row +
                                " has no MAC (added or cleared outside facet)");
  }
  if (!crypto::ConstantTimeEqual(stored, expected)) {
    return Status::StoreCorrupt("store integrity: " + row +
                                " was changed outside facet (its MAC does not match)");
  }
  return Status::Ok();
}

Status RowProtector::CheckGallery(const store::GalleryRecord& g) const {
  return Compare(g.mac, GalleryMac(g),
                 Row(store::RowTable::kGalleries, g.id) + " (gallery '" + g.name + "')");
}

Status RowProtector::CheckPerson(const store::PersonRecord& p) const {
  return Compare(p.mac, PersonMac(p),
                 Row(store::RowTable::kPersons, p.id) + " (person " + p.uid + ", gallery row " +
                     std::to_string(p.gallery_id) + ")");
}

Status RowProtector::CheckConsent(const store::ConsentRecord& c, const std::string& uid) const {
  return Compare(c.mac, ConsentMac(c, uid),
                 Row(store::RowTable::kConsents, c.id) + " (person " + uid + ")");
}

Status RowProtector::CheckFace(const store::FaceRecord& f, const std::string& uid) const {
  return Compare(f.mac, FaceMac(f, uid),
                 Row(store::RowTable::kFaces, f.id) + " (person " + uid + ", gallery row " +
                     std::to_string(f.gallery_id) + ")");
}

Result<std::vector<uint8_t>> RowProtector::SealConsentDetails(const store::ConsentRecord& c,
                                                              const std::string& uid) const {
  const std::string text =
      json{{"granted_by", c.granted_by}, {"purpose", c.purpose}, {"evidence", c.evidence}}.dump();
  return crypto::Seal(
      seal_key_,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      ConsentContext(uid));
}

Status RowProtector::OpenConsentDetails(store::ConsentRecord& c, const std::string& uid) const {
  if (c.sealed_details.empty()) return Status::Ok();
  const std::string row = "store integrity: " + Row(store::RowTable::kConsents, c.id) +
                          " (person " + uid + "): its sealed details do not open";
  auto plain = crypto::Open(seal_key_, c.sealed_details, ConsentContext(uid));
  if (!plain.ok()) return Status::StoreCorrupt(row + ": " + plain.status().message());
  const json j = json::parse(plain->begin(), plain->end(), nullptr, false);
  if (!j.is_object() || !j.contains("granted_by") || !j["granted_by"].is_string() ||
      !j.contains("purpose") || !j["purpose"].is_string() || !j.contains("evidence") ||
      !j["evidence"].is_string()) {
    return Status::StoreCorrupt(row + ": malformed");
  }
  c.granted_by = j["granted_by"].get<std::string>();
  c.purpose = j["purpose"].get<std::string>();
  c.evidence = j["evidence"].get<std::string>();
  return Status::Ok();
}

Result<std::vector<uint8_t>> RowProtector::SealFaceSource(const std::string& source_sha256,
                                                          const std::string& uid) const {
  return crypto::Seal(
      seal_key_,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(source_sha256.data()),
                               source_sha256.size()),
      SourceContext(uid));
}

Status RowProtector::OpenFaceSource(store::FaceRecord& f, const std::string& uid) const {
  if (f.sealed_source.empty()) return Status::Ok();
  auto plain = crypto::Open(seal_key_, f.sealed_source, SourceContext(uid));
  if (!plain.ok()) {
    return Status::StoreCorrupt("store integrity: " + Row(store::RowTable::kFaces, f.id) +
                                " (person " + uid +
                                "): its sealed source does not open: " + plain.status().message());
  }
  f.source_sha256.assign(plain->begin(), plain->end());
  return Status::Ok();
}

}  // namespace facet::gallery
