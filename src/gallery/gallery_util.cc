#include "gallery/gallery_util.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace facet::gallery {

index::HnswOptions HnswOptionsOf(const IndexPolicy& policy) {
  index::HnswOptions options;
  options.m = policy.hnsw_m;
  options.ef_construction = policy.hnsw_ef_construction;
  options.ef_search = policy.hnsw_ef_search;
  return options;
}

int64_t Ms(TimePoint t) { return audit::ToUnixMillis(t); }

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

namespace {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    uint32_t lowest = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1Fu, lowest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0Fu, lowest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07u, lowest = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < lowest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

}  // namespace

Status CheckText(const std::string& what, const std::string& text, bool required) {
  // Only whitespace says nothing: a purpose or a grantor of "  " is missing, and an optional
  // name of "  " is refused rather than kept as if it said something.
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  });
  if (required && blank) return Status::InvalidArgument(what + " is required");
  if (blank && !text.empty()) {
    return Status::InvalidArgument(what + " is only whitespace (leave it out instead)");
  }
  if (text.size() > 1000) return Status::InvalidArgument(what + " is longer than 1000 bytes");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return Status::InvalidArgument(what + " contains a control character");
    }
  }
  // Text goes into the audit log and into JSON exports, which must stay readable as UTF-8.
  if (!IsValidUtf8(text)) return Status::InvalidArgument(what + " is not valid UTF-8");
  // Nor may it reorder what is shown around it: the bidirectional embeddings, overrides and
  // isolates (U+202A..U+202E, U+2066..U+2069) can make an audit line read as something else.
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    const auto b2 = static_cast<unsigned char>(text[i + 2]);
    if (b0 == 0xE2 &&
        ((b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) || (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9))) {
      return Status::InvalidArgument(what + " contains a bidirectional control character");
    }
  }
  return Status::Ok();
}

Status CheckActor(const AuditContext& context) {
  FACET_RETURN_IF_ERROR(CheckText("actor", context.actor, true));
  return CheckText("purpose", context.purpose, false);
}

Status CheckActorAndPurpose(const AuditContext& context) {
  FACET_RETURN_IF_ERROR(CheckText("actor", context.actor, true));
  return CheckText("purpose (the reason for this search, written to the audit log)",
                   context.purpose, true);
}

Status CheckGalleryName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument("a gallery name has 1 to 64 characters");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument("gallery name '" + name +
                                     "': only letters, digits, '.', '_' and '-'");
    }
  }
  // The name is also a directory name (index snapshots) and a URL path segment.
  if (name == "." || name == "..") {
    return Status::InvalidArgument("gallery name '" + name + "' is reserved");
  }
  return Status::Ok();
}

Status CheckFreeText(const std::string& what, const std::string& text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status::InvalidArgument(what + " is longer than " + std::to_string(max_bytes) +
                                   " bytes");
  }
  if (!IsValidUtf8(text)) return Status::InvalidArgument(what + " is not valid UTF-8");
  return Status::Ok();
}

Status CheckPersonId(const std::string& person_id) {
  if (person_id.empty() || person_id.size() > 128) {
    return Status::InvalidArgument("a person id has 1 to 128 bytes");
  }
  if (std::isspace(static_cast<unsigned char>(person_id.front())) ||
      std::isspace(static_cast<unsigned char>(person_id.back()))) {
    return Status::InvalidArgument("a person id must not start or end with a space");
  }
  return CheckText("person id", person_id, true);
}

Result<store::GalleryRecord> FindGalleryOrError(store::StoreTxn& txn, const std::string& name) {
  auto found = txn.FindGallery(name);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Status::NotFound("gallery '" + name + "' does not exist");
  return std::move(**found);
}

Result<store::PersonRecord> FindPersonOrError(store::StoreTxn& txn, const std::string& gallery,
                                              const std::string& person_id) {
  auto record = FindGalleryOrError(txn, gallery);
  if (!record.ok()) return record.status();
  auto found = txn.FindPerson(record->id, person_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return Status::NotFound("person '" + person_id + "' is not in gallery '" + gallery + "'");
  }
  return std::move(**found);
}

Result<store::PersonRecord> FindFaceOwnerOrError(store::StoreTxn& txn, const std::string& gallery,
                                                 const std::string& person_id, int64_t face_id) {
  auto person = FindPersonOrError(txn, gallery, person_id);
  if (!person.ok()) return person.status();
  auto face = txn.GetFace(face_id);
  if (!face.ok()) return face.status();
  if (!face->has_value() || (*face)->person_id != person->id) {
    return Status::NotFound("face " + std::to_string(face_id) + " is not a face of '" + person_id +
                            "'");
  }
  return person;
}

GalleryInfo GallerySettingsOf(const store::GalleryRecord& r) {
  GalleryInfo info;
  info.name = r.name;
  info.purpose = r.purpose;
  info.use = r.use == "verify" ? ConsentScope::kVerify : ConsentScope::kIdentify;
  info.recognizer = RecognizerOf(r);
  info.fmr = r.fmr;
  info.threshold = r.threshold;
  info.keep_photos = r.keep_photos;
  info.created_at = audit::FromUnixMillis(r.created_ms);
  info.requested_model = r.requested_model;
  return info;
}

Result<PersonInfo> MakePersonInfo(const Galleries::Impl& impl, store::StoreTxn& txn,
                                  const store::PersonRecord& person) {
  auto profile = impl.OpenProfile(person);
  if (!profile.ok()) return profile.status();
  auto faces = txn.ListFaces(person.id, false);
  if (!faces.ok()) return faces.status();
  PersonInfo info;
  info.person_id = person.person_id;
  info.uid = person.uid;
  info.display_name = profile->display_name;
  info.external_ref = profile->external_ref;
  info.created_at = audit::FromUnixMillis(person.created_ms);
  info.faces = static_cast<int64_t>(faces->size());
  info.has_data_key = !person.wrapped_key.empty();
  return info;
}

ConsentInfo MakeConsentInfo(const store::ConsentRecord& c, int64_t now_ms) {
  ConsentInfo info;
  info.consent_id = c.id;
  info.granted_by = c.granted_by;
  info.scope = c.scope == "verify" ? ConsentScope::kVerify : ConsentScope::kIdentify;
  info.purpose = c.purpose;
  info.evidence = c.evidence;
  info.granted_at = audit::FromUnixMillis(c.granted_ms);
  if (c.expires_ms) info.expires_at = audit::FromUnixMillis(*c.expires_ms);
  if (c.revoked_ms) info.revoked_at = audit::FromUnixMillis(*c.revoked_ms);
  info.valid = ConsentValidAt(c, now_ms);
  return info;
}

FaceInfo MakeFaceInfo(const store::FaceRecord& face) {
  FaceInfo info;
  info.face_id = face.id;
  info.quality = QualityFromName(face.quality);
  info.source_sha256 = face.source_sha256;
  info.created_at = audit::FromUnixMillis(face.created_ms);
  info.has_photo = face.has_photo;
  return info;
}

const char* QualityName(QualityLevel level) { return QualityLevelName(level); }

QualityLevel QualityFromName(const std::string& name) {
  if (name == "high") return QualityLevel::kHigh;
  if (name == "medium") return QualityLevel::kMedium;
  return QualityLevel::kLow;
}

std::vector<uint8_t> FloatBytes(const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(float));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

Result<std::vector<float>> BytesToFloats(const std::vector<uint8_t>& bytes, int dimensions) {
  if (bytes.size() != static_cast<size_t>(dimensions) * sizeof(float)) {
    return Status::CorruptData("a stored template has the wrong size");
  }
  std::vector<float> out(dimensions);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace facet::gallery
