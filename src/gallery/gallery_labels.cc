// Galleries: the labels callers attach to galleries and faces (Azure Face's group name and
// userData, the recognition model name asked for, a face's userData). They are free text that
// may identify people, so they are sealed like a person's profile: a gallery's under the store's
// profile key, a face's under its person's data key (shredded with the templates).
// docs/store_format.md.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"

namespace facet {

using nlohmann::json;

namespace gallery {

std::string GalleryProfileContext(const store::GalleryRecord& record) {
  // SQLite may give a deleted gallery's id to a new one: its creation time tells them apart.
  return "facet.gallery-profile.v1|" + std::to_string(record.id) + "|" + record.name + "|" +
         std::to_string(record.created_ms);
}

std::string FaceUserDataContext(const std::string& uid, int64_t face_id) {
  return "facet.face-user-data.v1|" + uid + "|" + std::to_string(face_id);
}

Status CheckGalleryLabels(const GalleryLabels& labels) {
  if (labels.display_name) {
    FACET_RETURN_IF_ERROR(CheckText("gallery display name", *labels.display_name, false));
    if (labels.display_name->size() > kMaxGalleryDisplayName) {
      return Status::InvalidArgument("a gallery display name has at most " +
                                     std::to_string(kMaxGalleryDisplayName) + " bytes");
    }
  }
  if (labels.user_data) {
    FACET_RETURN_IF_ERROR(
        CheckFreeText("gallery user data", *labels.user_data, kMaxGalleryUserData));
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> SealFaceUserData(const crypto::SecretKey& person_key,
                                              const std::string& uid, int64_t face_id,
                                              const std::string& user_data) {
  if (user_data.empty()) return std::vector<uint8_t>();
  return crypto::Seal(person_key, Bytes(user_data), FaceUserDataContext(uid, face_id));
}

Result<std::vector<FaceInfo>> MakeFaceInfos(const Galleries::Impl& impl,
                                            const store::PersonRecord& person,
                                            const std::vector<store::FaceRecord>& faces) {
  std::vector<FaceInfo> out;
  std::optional<crypto::SecretKey> key;
  for (const store::FaceRecord& face : faces) {
    FaceInfo info = MakeFaceInfo(face);
    if (!face.sealed_user_data.empty()) {
      if (!key) {
        auto unwrapped = impl.PersonDataKey(person);
        if (!unwrapped.ok()) return unwrapped.status();
        key.emplace(std::move(unwrapped).value());
      }
      auto plain =
          crypto::Open(*key, face.sealed_user_data, FaceUserDataContext(person.uid, face.id));
      if (!plain.ok()) {
        return Status::CorruptData("store integrity: the user data of face " +
                                   std::to_string(face.id) + " (person " + person.uid +
                                   ") does not open");
      }
      info.user_data.assign(plain->begin(), plain->end());
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace gallery

Result<std::vector<uint8_t>> Galleries::Impl::SealGalleryProfile(
    const store::GalleryRecord& record, const gallery::GalleryProfile& profile) const {
  if (profile.display_name.empty() && profile.user_data.empty()) return std::vector<uint8_t>();
  const std::string text =
      json{{"display_name", profile.display_name}, {"user_data", profile.user_data}}.dump();
  return crypto::Seal(profile_key, gallery::Bytes(text), gallery::GalleryProfileContext(record));
}

Result<gallery::GalleryProfile> Galleries::Impl::OpenGalleryProfile(
    const store::GalleryRecord& record) const {
  gallery::GalleryProfile profile;
  if (record.sealed_profile.empty()) return profile;
  auto plain =
      crypto::Open(profile_key, record.sealed_profile, gallery::GalleryProfileContext(record));
  if (!plain.ok()) {
    return Status::CorruptData("store integrity: the labels of gallery '" + record.name +
                               "' do not open");
  }
  const json parsed = json::parse(plain->begin(), plain->end(), nullptr, false);
  if (!parsed.is_object()) {
    return Status::CorruptData("the labels of gallery '" + record.name + "' are malformed");
  }
  profile.display_name = parsed.value("display_name", "");
  profile.user_data = parsed.value("user_data", "");
  return profile;
}

Result<crypto::SecretKey> Galleries::Impl::PersonDataKey(const store::PersonRecord& person) const {
  if (person.wrapped_key.empty()) {
    return Status::FailedPrecondition("person " + person.uid + " has no data key");
  }
  return crypto::UnwrapKey(master, person.wrapped_key, gallery::PersonKeyContext(person.uid));
}

Result<GalleryInfo> Galleries::UpdateGallery(const std::string& gallery_name,
                                             const GalleryLabels& labels,
                                             const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckGalleryLabels(labels));
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto profile = self.OpenGalleryProfile(record.value());
    if (!profile.ok()) return profile.status();
    json fields = json::array();
    if (labels.display_name) {
      profile->display_name = *labels.display_name;
      fields.push_back("display_name");
    }
    if (labels.user_data) {
      profile->user_data = *labels.user_data;
      fields.push_back("user_data");
    }
    auto sealed = self.SealGalleryProfile(record.value(), profile.value());
    if (!sealed.ok()) return sealed.status();
    FACET_RETURN_IF_ERROR(txn.SetGalleryProfile(record->id, sealed.value()));
    return self.Audit(txn, self.NowMs(), context, "gallery_update", gallery_name, "",
                      json{{"fields", fields}}.dump());
  }));
  return GetGallery(gallery_name);
}

Result<FaceInfo> Galleries::GetFace(const std::string& gallery_name, const std::string& person_id,
                                    int64_t face_id) {
  auto faces = ListFaces(gallery_name, person_id);
  if (!faces.ok()) return faces.status();
  for (FaceInfo& face : faces.value()) {
    if (face.face_id == face_id) return std::move(face);
  }
  return Status::NotFound("face " + std::to_string(face_id) + " is not a face of '" + person_id +
                          "'");
}

Result<FaceInfo> Galleries::UpdateFace(const std::string& gallery_name,
                                       const std::string& person_id, int64_t face_id,
                                       const std::string& user_data, const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(gallery::CheckFreeText("face user data", user_data, kMaxFaceUserData));
  Impl& self = *impl_;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindFaceOwnerOrError(txn, gallery_name, person_id, face_id);
    if (!person.ok()) return person.status();
    // A person with faces holds a data key (a shred deletes the faces with it).
    auto key = self.PersonDataKey(person.value());
    if (!key.ok()) return key.status();
    auto sealed = gallery::SealFaceUserData(key.value(), person->uid, face_id, user_data);
    if (!sealed.ok()) return sealed.status();
    FACET_RETURN_IF_ERROR(txn.SetFaceUserData(face_id, sealed.value()));
    return self.Audit(txn, self.NowMs(), context, "face_update", gallery_name, person->uid,
                      json{{"face_id", face_id}, {"fields", json::array({"user_data"})}}.dump());
  }));
  return GetFace(gallery_name, person_id, face_id);
}

}  // namespace facet
