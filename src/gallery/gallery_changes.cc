// Galleries: changes that add or remove templates — enrollment, face deletion, consent
// revocation, expiry purges, person erasure, gallery deletion — and crypto-shredding.
#include <cmath>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "gallery/gallery_internal.h"
#include "gallery/gallery_util.h"

namespace facet {

using gallery::GalleryState;
using nlohmann::json;

namespace {

bool HasCoveringConsent(const std::vector<store::ConsentRecord>& consents, const std::string& use,
                        int64_t now_ms) {
  const std::vector<std::string> scopes = gallery::CoveringScopes(use);
  for (const store::ConsentRecord& c : consents) {
    if (gallery::ConsentValidAt(c, now_ms) &&
        std::find(scopes.begin(), scopes.end(), c.scope) != scopes.end()) {
      return true;
    }
  }
  return false;
}

Status CheckTemplate(const Embedding& e, const store::GalleryRecord& g) {
  if (e.model != g.model || e.model_version != g.model_version) {
    return Status::InvalidArgument("template of model '" + e.model + "' version '" +
                                   e.model_version + "' cannot go into gallery '" + g.name +
                                   "' of model '" + g.model + "' version '" + g.model_version +
                                   "' (mixing models is not allowed)");
  }
  if (e.values.size() != static_cast<size_t>(g.dimensions)) {
    return Status::InvalidArgument("template has " + std::to_string(e.values.size()) +
                                   " values; the gallery's model has " +
                                   std::to_string(g.dimensions));
  }
  double norm = 0;
  for (float v : e.values) {
    if (!std::isfinite(v)) return Status::InvalidArgument("template has a non-finite value");
    norm += static_cast<double>(v) * v;
  }
  if (std::fabs(norm - 1.0) > 0.01) {
    return Status::InvalidArgument("template is not L2-normalised");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<int64_t>> Galleries::Impl::ShredInTxn(store::StoreTxn& txn,
                                                         const store::PersonRecord& person) {
  auto faces = txn.ListFaces(person.id, false);
  if (!faces.ok()) return faces.status();
  std::vector<int64_t> ids;
  for (const store::FaceRecord& f : faces.value()) ids.push_back(f.id);
  auto deleted = txn.DeleteFacesOfPerson(person.id);
  if (!deleted.ok()) return deleted.status();
  // Destroying the wrapped data key makes every copy of the person's sealed templates and photos
  // (WAL frames, free pages, backups) undecryptable.
  FACET_RETURN_IF_ERROR(txn.SetPersonKey(person.id, {}));
  FACET_RETURN_IF_ERROR(txn.BumpGeneration(person.gallery_id));
  return ids;
}

void Galleries::Impl::RemoveFromIndexLocked(GalleryState& state, const std::vector<int64_t>& faces,
                                            int64_t generation_before) {
  if (state.loaded) {
    state.index->Remove(faces);
    for (int64_t id : faces) state.face_person.erase(id);
    if (state.generation == generation_before) ++state.generation;
  }
  if (!faces.empty()) {
    DropSnapshotLocked(state);
    (void)store->PurgeDeleted();
  }
}

Result<int64_t> Galleries::Impl::PurgeExpiredFor(GalleryState& state, const AuditContext& context) {
  const int64_t now = NowMs();
  if (now < state.next_purge_ms.load()) return int64_t{0};
  std::vector<int64_t> removed;
  int64_t shredded = 0;
  int64_t generation_before = 0;
  int64_t next = std::numeric_limits<int64_t>::max();
  FACET_RETURN_IF_ERROR(store->Write([&](store::StoreTxn& txn) -> Status {
    removed.clear();
    shredded = 0;
    auto generation = txn.GetGeneration(state.record.id);
    if (!generation.ok()) return generation.status();
    generation_before = generation.value();
    auto lapsed = txn.PersonsWithLapsedConsent(state.record.id, now,
                                               gallery::CoveringScopes(state.record.use));
    if (!lapsed.ok()) return lapsed.status();
    for (int64_t person_id : lapsed.value()) {
      auto person = txn.GetPerson(person_id);
      if (!person.ok()) return person.status();
      if (!person->has_value()) continue;
      auto faces = ShredInTxn(txn, **person);
      if (!faces.ok()) return faces.status();
      const json details = {{"shredded_faces", faces->size()}};
      FACET_RETURN_IF_ERROR(Audit(txn, now, {context.actor, "consent expired"}, "consent_expired",
                                  state.record.name, (*person)->uid, details.dump()));
      removed.insert(removed.end(), faces->begin(), faces->end());
      ++shredded;
    }
    auto upcoming = txn.NextConsentExpiry(state.record.id, now);
    if (!upcoming.ok()) return upcoming.status();
    if (upcoming->has_value()) next = **upcoming;
    return Status::Ok();
  }));
  if (shredded > 0) RemoveFromIndexLocked(state, removed, generation_before);
  state.next_purge_ms.store(next);
  return shredded;
}

Result<int64_t> Galleries::PurgeExpired(const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  auto galleries = ListGalleries();
  if (!galleries.ok()) return galleries.status();
  int64_t total = 0;
  for (const GalleryInfo& info : galleries.value()) {
    auto state = impl_->State(info.name);
    if (!state.ok()) return state.status();
    std::unique_lock lock((*state)->mutex);
    (*state)->next_purge_ms.store(0);
    auto purged = impl_->PurgeExpiredFor(**state, context);
    if (!purged.ok()) return purged.status();
    total += purged.value();
  }
  return total;
}

Result<FaceInfo> Galleries::Enroll(const EnrollRequest& request, const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  FACET_RETURN_IF_ERROR(
      gallery::CheckFreeText("face user data", request.user_data, kMaxFaceUserData));
  if (request.source_sha256.size() != 64) {
    return Status::InvalidArgument("source_sha256 must be the 64-hex-digit SHA-256 of the image");
  }
  Impl& self = *impl_;
  auto state_or = self.State(request.gallery);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  std::unique_lock lock(state.mutex);
  auto purged = self.PurgeExpiredFor(state, context);
  if (!purged.ok()) return purged.status();

  store::FaceRecord face;
  store::PersonRecord person;
  FaceInfo result;
  int64_t generation_before = 0;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, request.gallery);
    if (!record.ok()) return record.status();
    FACET_RETURN_IF_ERROR(CheckTemplate(request.embedding, record.value()));
    auto found = gallery::FindPersonOrError(txn, request.gallery, request.person_id);
    if (!found.ok()) return found.status();
    person = std::move(found).value();
    const int64_t now = self.NowMs();
    auto consents = txn.ListConsents(person.id);
    if (!consents.ok()) return consents.status();
    if (!HasCoveringConsent(consents.value(), record->use, now)) {
      return Status::FailedPrecondition(
          "enrollment refused: person '" + request.person_id + "' has no valid consent of scope '" +
          record->use + "' for gallery '" + request.gallery + "' (record one first)");
    }
    auto existing = txn.ListFaces(person.id, false);
    if (!existing.ok()) return existing.status();
    for (const store::FaceRecord& f : existing.value()) {
      if (f.source_sha256 == request.source_sha256) {
        // The face as stored, its user data included (the request's is not applied).
        auto stored = gallery::MakeFaceInfos(self, person, {f});
        if (!stored.ok()) return stored.status();
        result = std::move(stored->front());
        result.duplicate = true;
        return Status::Ok();  // nothing written
      }
    }
    auto generation = txn.GetGeneration(record->id);
    if (!generation.ok()) return generation.status();
    generation_before = generation.value();
    // The person's data key: created at the first enrollment (or after a shred).
    std::optional<crypto::SecretKey> key;
    if (person.wrapped_key.empty()) {
      auto fresh = crypto::SecretKey::Random();
      if (!fresh.ok()) return fresh.status();
      auto wrapped = crypto::WrapKey(self.master, fresh.value(), gallery::PersonKeyContext(person.uid));
      if (!wrapped.ok()) return wrapped.status();
      FACET_RETURN_IF_ERROR(txn.SetPersonKey(person.id, wrapped.value()));
      key.emplace(std::move(fresh).value());
    } else {
      auto unwrapped = crypto::UnwrapKey(self.master, person.wrapped_key,
                                         gallery::PersonKeyContext(person.uid));
      if (!unwrapped.ok()) return unwrapped.status();
      key.emplace(std::move(unwrapped).value());
    }
    face.person_id = person.id;
    face.gallery_id = record->id;
    auto sealed = crypto::Seal(*key, gallery::FloatBytes(request.embedding.values),
                               gallery::TemplateContext(person.uid, record->id, record->model,
                                                        record->model_version));
    if (!sealed.ok()) return sealed.status();
    face.sealed_template = std::move(sealed).value();
    if (record->keep_photos && !request.photo.empty()) {
      auto photo = crypto::Seal(*key, request.photo, gallery::PhotoContext(person.uid));
      if (!photo.ok()) return photo.status();
      face.sealed_photo = std::move(photo).value();
      face.has_photo = true;
    }
    face.quality = gallery::QualityName(request.quality);
    face.source_sha256 = request.source_sha256;
    face.created_ms = now;
    auto id = txn.InsertFace(face);
    if (!id.ok()) return id.status();
    face.id = id.value();
    // Sealed for this face (its id is in the associated data), so after the insert.
    auto user_data = gallery::SealFaceUserData(*key, person.uid, face.id, request.user_data);
    if (!user_data.ok()) return user_data.status();
    if (!user_data->empty()) {
      FACET_RETURN_IF_ERROR(txn.SetFaceUserData(face.id, user_data.value()));
      face.sealed_user_data = std::move(user_data).value();
    }
    FACET_RETURN_IF_ERROR(txn.BumpGeneration(record->id));
    const json details = {{"face_id", face.id}, {"quality", face.quality},
                          {"photo_kept", face.has_photo}};
    result = gallery::MakeFaceInfo(face);
    result.user_data = request.user_data;
    return self.Audit(txn, now, context, "enroll", request.gallery, person.uid, details.dump());
  }));
  if (result.duplicate) return result;
  if (state.loaded) {
    const std::vector<int64_t> ids = {face.id};
    FACET_RETURN_IF_ERROR(state.index->Add(ids, request.embedding.values));
    state.face_person[face.id] = person.id;
    state.person_ids[person.id] = person.person_id;
    state.person_uids[person.id] = person.uid;
    if (state.generation == generation_before) ++state.generation;
    state.snapshot_dirty = true;
  }
  return result;
}

Result<std::vector<FaceInfo>> Galleries::ListFaces(const std::string& gallery_name,
                                                   const std::string& person_id) {
  std::vector<FaceInfo> out;
  FACET_RETURN_IF_ERROR(impl_->store->Read([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto faces = txn.ListFaces(person->id, false);
    if (!faces.ok()) return faces.status();
    auto infos = gallery::MakeFaceInfos(*impl_, person.value(), faces.value());
    if (!infos.ok()) return infos.status();
    out = std::move(infos).value();
    return Status::Ok();
  }));
  return out;
}

Status Galleries::DeleteFace(const std::string& gallery_name, const std::string& person_id,
                             int64_t face_id, const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  Impl& self = *impl_;
  auto state_or = self.State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  std::unique_lock lock(state.mutex);
  int64_t generation_before = 0;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindFaceOwnerOrError(txn, gallery_name, person_id, face_id);
    if (!person.ok()) return person.status();
    auto generation = txn.GetGeneration(person->gallery_id);
    if (!generation.ok()) return generation.status();
    generation_before = generation.value();
    FACET_RETURN_IF_ERROR(txn.DeleteFace(face_id));
    FACET_RETURN_IF_ERROR(txn.BumpGeneration(person->gallery_id));
    return self.Audit(txn, self.NowMs(), context, "face_delete", gallery_name, person->uid,
                      json{{"face_id", face_id}}.dump());
  }));
  self.RemoveFromIndexLocked(state, {face_id}, generation_before);
  return Status::Ok();
}

Status Galleries::RevokeConsent(const std::string& gallery_name, const std::string& person_id,
                                int64_t consent_id, const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  Impl& self = *impl_;
  auto state_or = self.State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  std::unique_lock lock(state.mutex);
  std::vector<int64_t> removed;
  int64_t generation_before = 0;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    auto consents = txn.ListConsents(person->id);
    if (!consents.ok()) return consents.status();
    auto it = std::find_if(consents->begin(), consents->end(),
                           [&](const store::ConsentRecord& c) { return c.id == consent_id; });
    if (it == consents->end()) {
      return Status::NotFound("consent " + std::to_string(consent_id) + " is not a consent of '" +
                              person_id + "'");
    }
    if (it->revoked_ms) {
      return Status::FailedPrecondition("consent " + std::to_string(consent_id) +
                                        " is already revoked");
    }
    const int64_t now = self.NowMs();
    auto generation = txn.GetGeneration(person->gallery_id);
    if (!generation.ok()) return generation.status();
    generation_before = generation.value();
    FACET_RETURN_IF_ERROR(txn.SetConsentRevoked(consent_id, now));
    FACET_RETURN_IF_ERROR(txn.BumpGeneration(person->gallery_id));
    it->revoked_ms = now;
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    if (!HasCoveringConsent(consents.value(), record->use, now) && !person->wrapped_key.empty()) {
      auto faces = self.ShredInTxn(txn, person.value());
      if (!faces.ok()) return faces.status();
      removed = std::move(faces).value();
    }
    const json details = {{"consent_id", consent_id}, {"shredded_faces", removed.size()}};
    return self.Audit(txn, now, context, "consent_revoke", gallery_name, person->uid,
                      details.dump());
  }));
  self.RemoveFromIndexLocked(state, removed, generation_before);
  return Status::Ok();
}

Status Galleries::ErasePerson(const std::string& gallery_name, const std::string& person_id,
                              const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  Status erased = EraseCheckedPerson(gallery_name, person_id, context);
  if (erased.code() != StatusCode::kStoreCorrupt) return erased;
  return impl_->DestroyDespiteDamage(gallery_name, person_id, context, erased.message());
}

Status Galleries::EraseCheckedPerson(const std::string& gallery_name, const std::string& person_id,
                                     const AuditContext& context) {
  Impl& self = *impl_;
  auto state_or = self.State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  std::unique_lock lock(state.mutex);
  std::vector<int64_t> removed;
  int64_t generation_before = 0;
  int64_t person_row = 0;
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto person = gallery::FindPersonOrError(txn, gallery_name, person_id);
    if (!person.ok()) return person.status();
    person_row = person->id;
    auto generation = txn.GetGeneration(person->gallery_id);
    if (!generation.ok()) return generation.status();
    generation_before = generation.value();
    auto faces = self.ShredInTxn(txn, person.value());
    if (!faces.ok()) return faces.status();
    removed = std::move(faces).value();
    FACET_RETURN_IF_ERROR(txn.DeletePerson(person->id));
    return self.Audit(txn, self.NowMs(), context, "person_erase", gallery_name, person->uid,
                      json{{"shredded_faces", removed.size()}}.dump());
  }));
  self.RemoveFromIndexLocked(state, removed, generation_before);
  if (state.loaded) {
    state.person_ids.erase(person_row);
    state.person_uids.erase(person_row);
  }
  // The profile row is gone too: make it leave the WAL even when there were no faces.
  return self.store->PurgeDeleted();
}

Status Galleries::DeleteGallery(const std::string& gallery_name, const AuditContext& context) {
  FACET_RETURN_IF_ERROR(gallery::CheckActor(context));
  Status deleted = DeleteCheckedGallery(gallery_name, context);
  if (deleted.code() != StatusCode::kStoreCorrupt) return deleted;
  return impl_->DestroyDespiteDamage(gallery_name, "", context, deleted.message());
}

Status Galleries::DeleteCheckedGallery(const std::string& gallery_name,
                                       const AuditContext& context) {
  Impl& self = *impl_;
  auto state_or = self.State(gallery_name);
  if (!state_or.ok()) return state_or.status();
  GalleryState& state = **state_or;
  std::unique_lock lock(state.mutex);
  FACET_RETURN_IF_ERROR(self.store->Write([&](store::StoreTxn& txn) -> Status {
    auto record = gallery::FindGalleryOrError(txn, gallery_name);
    if (!record.ok()) return record.status();
    auto persons = txn.ListPersons(record->id);
    if (!persons.ok()) return persons.status();
    int64_t faces = 0;
    for (const store::PersonRecord& person : persons.value()) {
      auto removed = self.ShredInTxn(txn, person);
      if (!removed.ok()) return removed.status();
      faces += static_cast<int64_t>(removed->size());
      FACET_RETURN_IF_ERROR(self.Audit(txn, self.NowMs(), context, "person_erase", gallery_name,
                                       person.uid,
                                       json{{"shredded_faces", removed->size()}}.dump()));
      FACET_RETURN_IF_ERROR(txn.DeletePerson(person.id));
    }
    FACET_RETURN_IF_ERROR(txn.DeleteGallery(record->id));
    const json details = {{"persons", persons->size()}, {"shredded_faces", faces}};
    return self.Audit(txn, self.NowMs(), context, "gallery_delete", gallery_name, "",
                      details.dump());
  }));
  self.DropSnapshotLocked(state);
  state.loaded = false;
  state.index.reset();
  state.face_person.clear();
  lock.unlock();
  self.ForgetState(gallery_name);
  return self.store->PurgeDeleted();
}

}  // namespace facet
