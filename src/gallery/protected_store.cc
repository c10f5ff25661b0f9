// Checked reads and MACed writes over the backend (protected_store.h).
#include "gallery/protected_store.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

namespace facet::gallery {
namespace {

using store::ConsentRecord;
using store::FaceRecord;
using store::GalleryRecord;
using store::PersonRecord;
using store::RowTable;

class ProtectedTxn final : public store::StoreTxn {
 public:
  ProtectedTxn(store::StoreTxn& inner, const RowProtector& protector)
      : inner_(inner), protector_(protector) {}

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return inner_.GetMeta(key);
  }
  Status PutMeta(const std::string& key, const std::string& value) override {
    return inner_.PutMeta(key, value);
  }

  Result<int64_t> InsertGallery(const GalleryRecord& gallery) override {
    auto id = inner_.InsertGallery(gallery);
    if (!id.ok()) return id;
    GalleryRecord row = gallery;
    row.id = id.value();
    FACET_RETURN_IF_ERROR(
        inner_.SetRowMac(RowTable::kGalleries, row.id, protector_.GalleryMac(row)));
    return id;
  }
  Result<std::optional<GalleryRecord>> FindGallery(const std::string& name) override {
    auto found = inner_.FindGallery(name);
    if (found.ok() && found->has_value()) FACET_RETURN_IF_ERROR(protector_.CheckGallery(**found));
    return found;
  }
  Result<std::vector<GalleryRecord>> ListGalleries() override {
    auto all = inner_.ListGalleries();
    if (!all.ok()) return all;
    for (const GalleryRecord& g : all.value()) FACET_RETURN_IF_ERROR(protector_.CheckGallery(g));
    return all;
  }
  Result<int64_t> GetGeneration(int64_t gallery_id) override {
    return inner_.GetGeneration(gallery_id);
  }
  Status BumpGeneration(int64_t gallery_id) override { return inner_.BumpGeneration(gallery_id); }
  Status DeleteGallery(int64_t gallery_id) override { return inner_.DeleteGallery(gallery_id); }
  Status SetGalleryProfile(int64_t gallery_id, std::span<const uint8_t> sealed_profile) override {
    auto all = inner_.ListGalleries();
    if (!all.ok()) return all.status();
    for (GalleryRecord& g : all.value()) {
      if (g.id != gallery_id) continue;
      FACET_RETURN_IF_ERROR(protector_.CheckGallery(g));
      FACET_RETURN_IF_ERROR(inner_.SetGalleryProfile(gallery_id, sealed_profile));
      g.sealed_profile.assign(sealed_profile.begin(), sealed_profile.end());
      return inner_.SetRowMac(RowTable::kGalleries, gallery_id, protector_.GalleryMac(g));
    }
    return Status::NotFound("gallery row " + std::to_string(gallery_id));
  }

  Result<int64_t> InsertPerson(const PersonRecord& person) override {
    auto id = inner_.InsertPerson(person);
    if (!id.ok()) return id;
    PersonRecord row = person;
    row.id = id.value();
    FACET_RETURN_IF_ERROR(inner_.SetRowMac(RowTable::kPersons, row.id, protector_.PersonMac(row)));
    uids_[row.id] = row.uid;
    return id;
  }
  Result<std::optional<PersonRecord>> FindPerson(int64_t gallery_id,
                                                 const std::string& person_id) override {
    return Checked(inner_.FindPerson(gallery_id, person_id));
  }
  Result<std::optional<PersonRecord>> GetPerson(int64_t person) override {
    return Checked(inner_.GetPerson(person));
  }
  Result<std::vector<PersonRecord>> ListPersons(int64_t gallery_id) override {
    auto all = inner_.ListPersons(gallery_id);
    if (!all.ok()) return all;
    for (const PersonRecord& p : all.value()) FACET_RETURN_IF_ERROR(Remember(p));
    return all;
  }
  Status SetPersonKey(int64_t person, std::span<const uint8_t> wrapped) override {
    return UpdatePerson(person, [&](PersonRecord& p) {
      p.wrapped_key.assign(wrapped.begin(), wrapped.end());
      return inner_.SetPersonKey(person, wrapped);
    });
  }
  Status SetPersonProfile(int64_t person, std::span<const uint8_t> sealed_profile) override {
    return UpdatePerson(person, [&](PersonRecord& p) {
      p.sealed_profile.assign(sealed_profile.begin(), sealed_profile.end());
      return inner_.SetPersonProfile(person, sealed_profile);
    });
  }
  Status DeletePerson(int64_t person) override { return inner_.DeletePerson(person); }

  Result<int64_t> InsertConsent(const ConsentRecord& consent) override {
    auto uid = UidOf(consent.person_id);
    if (!uid.ok()) return uid.status();
    ConsentRecord row = consent;
    auto sealed = protector_.SealConsentDetails(consent, uid.value());
    if (!sealed.ok()) return sealed.status();
    row.sealed_details = std::move(sealed).value();
    row.granted_by.clear();
    row.purpose.clear();
    row.evidence.clear();
    auto id = inner_.InsertConsent(row);
    if (!id.ok()) return id;
    row.id = id.value();
    FACET_RETURN_IF_ERROR(
        inner_.SetRowMac(RowTable::kConsents, row.id, protector_.ConsentMac(row, uid.value())));
    return id;
  }
  Result<std::optional<ConsentRecord>> GetConsent(int64_t consent) override {
    auto found = inner_.GetConsent(consent);
    if (!found.ok() || !found->has_value()) return found;
    FACET_RETURN_IF_ERROR(CheckAndOpen(**found));
    return found;
  }
  Result<std::vector<ConsentRecord>> ListConsents(int64_t person) override {
    return CheckedConsents(inner_.ListConsents(person));
  }
  Result<std::vector<ConsentRecord>> ListGalleryConsents(int64_t gallery_id) override {
    return CheckedConsents(inner_.ListGalleryConsents(gallery_id));
  }
  Status SetConsentRevoked(int64_t consent, int64_t revoked_ms) override {
    auto found = inner_.GetConsent(consent);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return Status::Ok();  // as the backend: nothing to revoke
    ConsentRecord row = **found;
    auto uid = UidOf(row.person_id);
    if (!uid.ok()) return uid.status();
    FACET_RETURN_IF_ERROR(protector_.CheckConsent(row, uid.value()));
    if (row.revoked_ms.has_value()) return Status::Ok();
    FACET_RETURN_IF_ERROR(inner_.SetConsentRevoked(consent, revoked_ms));
    row.revoked_ms = revoked_ms;
    return inner_.SetRowMac(RowTable::kConsents, consent, protector_.ConsentMac(row, uid.value()));
  }
  Status SetConsentSealedDetails(int64_t, std::span<const uint8_t>) override { return Raw(); }

  // The backend's SQL (see SqliteTxn) over checked rows.
  Result<std::vector<int64_t>> PersonsWithLapsedConsent(
      int64_t gallery_id, int64_t now_ms, const std::vector<std::string>& scopes) override {
    auto view = LapseView(gallery_id);
    if (!view.ok()) return view.status();
    std::set<int64_t> expired;
    std::set<int64_t> covered;
    for (const ConsentRecord& c : view->consents) {
      if (c.expires_ms.has_value() && *c.expires_ms <= now_ms) expired.insert(c.person_id);
      const bool live = !c.revoked_ms.has_value() && (!c.expires_ms || *c.expires_ms > now_ms);
      if (live && std::find(scopes.begin(), scopes.end(), c.scope) != scopes.end()) {
        covered.insert(c.person_id);
      }
    }
    std::vector<int64_t> out;
    for (int64_t person : expired) {
      if (view->key_holders.count(person) != 0 && covered.count(person) == 0) {
        out.push_back(person);
      }
    }
    return out;
  }
  Result<std::optional<int64_t>> NextConsentExpiry(int64_t gallery_id, int64_t now_ms) override {
    auto view = LapseView(gallery_id);
    if (!view.ok()) return view.status();
    std::optional<int64_t> next;
    for (const ConsentRecord& c : view->consents) {
      if (!c.expires_ms || *c.expires_ms <= now_ms || c.revoked_ms.has_value()) continue;
      if (view->key_holders.count(c.person_id) == 0) continue;
      next = std::min(next.value_or(std::numeric_limits<int64_t>::max()), *c.expires_ms);
    }
    return next;
  }

  Result<int64_t> InsertFace(const FaceRecord& face) override {
    auto uid = UidOf(face.person_id);
    if (!uid.ok()) return uid.status();
    FaceRecord row = face;
    auto sealed = protector_.SealFaceSource(face.source_sha256, uid.value());
    if (!sealed.ok()) return sealed.status();
    row.sealed_source = std::move(sealed).value();
    row.source_sha256.clear();
    row.has_photo = !row.sealed_photo.empty();
    auto id = inner_.InsertFace(row);
    if (!id.ok()) return id;
    row.id = id.value();
    FACET_RETURN_IF_ERROR(
        inner_.SetRowMac(RowTable::kFaces, row.id, protector_.FaceMac(row, uid.value())));
    return id;
  }
  Result<std::vector<FaceRecord>> ListFaces(int64_t person, bool with_photos) override {
    auto all = inner_.ListFaces(person, with_photos);
    if (!all.ok()) return all;
    for (FaceRecord& f : all.value()) FACET_RETURN_IF_ERROR(CheckAndOpen(f));
    return all;
  }
  Result<std::optional<FaceRecord>> GetFace(int64_t face) override {
    auto found = inner_.GetFace(face);
    if (!found.ok() || !found->has_value()) return found;
    FACET_RETURN_IF_ERROR(CheckAndOpen(**found));
    return found;
  }
  Status SetFaceUserData(int64_t face, std::span<const uint8_t> sealed_user_data) override {
    auto found = inner_.GetFace(face);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return Status::NotFound("face row " + std::to_string(face));
    FaceRecord row = **found;
    auto uid = UidOf(row.person_id);
    if (!uid.ok()) return uid.status();
    FACET_RETURN_IF_ERROR(protector_.CheckFace(row, uid.value()));
    FACET_RETURN_IF_ERROR(inner_.SetFaceUserData(face, sealed_user_data));
    row.sealed_user_data.assign(sealed_user_data.begin(), sealed_user_data.end());
    return inner_.SetRowMac(RowTable::kFaces, face, protector_.FaceMac(row, uid.value()));
  }
  Status ScanFaces(int64_t gallery_id,
                   const std::function<Status(const FaceRecord&)>& fn) override {
    return inner_.ScanFaces(gallery_id, [&](const FaceRecord& raw) -> Status {
      FaceRecord face = raw;
      Status checked = CheckAndOpen(face);
      if (!checked.ok()) {
        if (checked.code() != StatusCode::kStoreCorrupt) return checked;
        face.integrity_error = checked.message();
      }
      return fn(face);
    });
  }
  // As ScanFaces: a damaged face comes back with integrity_error set.
  Result<std::vector<FaceRecord>> GetFaces(std::span<const int64_t> ids) override {
    auto all = inner_.GetFaces(ids);
    if (!all.ok()) return all;
    for (FaceRecord& face : all.value()) {
      Status checked = CheckAndOpen(face);
      if (!checked.ok()) {
        if (checked.code() != StatusCode::kStoreCorrupt) return checked;
        face.integrity_error = checked.message();
      }
    }
    return all;
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> FaceIds(int64_t gallery_id) override {
    return inner_.FaceIds(gallery_id);
  }
  Result<int64_t> CountFaces(int64_t gallery_id) override { return inner_.CountFaces(gallery_id); }
  Status DeleteFace(int64_t face) override { return inner_.DeleteFace(face); }
  Result<int64_t> DeleteFacesOfPerson(int64_t person) override {
    return inner_.DeleteFacesOfPerson(person);
  }
  Status SetFaceSealedSource(int64_t, std::span<const uint8_t>) override { return Raw(); }
  Status SetRowMac(RowTable, int64_t, std::span<const uint8_t>) override { return Raw(); }

  Result<store::AuditHead> GetAuditHead() override { return inner_.GetAuditHead(); }
  Status AppendAudit(const AuditEntry& entry, const store::AuditHead& new_head) override {
    return inner_.AppendAudit(entry, new_head);
  }
  Status AppendAuditEntries(std::span<const AuditEntry> entries,
                            const store::AuditHead& new_head) override {
    return inner_.AppendAuditEntries(entries, new_head);
  }
  Status ScanAudit(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) override {
    return inner_.ScanAudit(from_seq, fn);
  }
  Result<std::vector<std::string>> MissingAuditGuards() override {
    return inner_.MissingAuditGuards();
  }

 private:
  struct Lapse {
    std::vector<ConsentRecord> consents;
    std::set<int64_t> key_holders;
  };

  static Status Raw() {
    return Status::Internal("row sealing and MACs are set by the protected store itself");
  }

  Status Remember(const PersonRecord& person) {
    FACET_RETURN_IF_ERROR(protector_.CheckPerson(person));
    uids_[person.id] = person.uid;
    return Status::Ok();
  }

  Result<std::optional<PersonRecord>> Checked(Result<std::optional<PersonRecord>> found) {
    if (found.ok() && found->has_value()) FACET_RETURN_IF_ERROR(Remember(**found));
    return found;
  }

  // The uid of a person row (checked once per transaction).
  Result<std::string> UidOf(int64_t person) {
    auto it = uids_.find(person);
    if (it != uids_.end()) return it->second;
    auto found = Checked(inner_.GetPerson(person));
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return Status::StoreCorrupt("store integrity: a row refers to person row " +
                                  std::to_string(person) + ", which does not exist");
    }
    return (*found)->uid;
  }

  Status UpdatePerson(int64_t person, const std::function<Status(PersonRecord&)>& update) {
    auto found = Checked(inner_.GetPerson(person));
    if (!found.ok()) return found.status();
    if (!found->has_value()) return Status::NotFound("person row " + std::to_string(person));
    PersonRecord row = **found;
    FACET_RETURN_IF_ERROR(update(row));
    return inner_.SetRowMac(RowTable::kPersons, person, protector_.PersonMac(row));
  }

  Status CheckAndOpen(ConsentRecord& consent) {
    auto uid = UidOf(consent.person_id);
    if (!uid.ok()) return uid.status();
    FACET_RETURN_IF_ERROR(protector_.CheckConsent(consent, uid.value()));
    return protector_.OpenConsentDetails(consent, uid.value());
  }

  Status CheckAndOpen(FaceRecord& face) {
    auto uid = UidOf(face.person_id);
    if (!uid.ok()) return uid.status();
    FACET_RETURN_IF_ERROR(protector_.CheckFace(face, uid.value()));
    return protector_.OpenFaceSource(face, uid.value());
  }

  Result<std::vector<ConsentRecord>> CheckedConsents(Result<std::vector<ConsentRecord>> all) {
    if (!all.ok()) return all;
    for (ConsentRecord& c : all.value()) FACET_RETURN_IF_ERROR(CheckAndOpen(c));
    return all;
  }

  // The gallery's checked consents and the persons holding a data key.
  Result<Lapse> LapseView(int64_t gallery_id) {
    Lapse view;
    auto persons = ListPersons(gallery_id);
    if (!persons.ok()) return persons.status();
    for (const PersonRecord& p : persons.value()) {
      if (!p.wrapped_key.empty()) view.key_holders.insert(p.id);
    }
    auto consents = inner_.ListGalleryConsents(gallery_id);
    if (!consents.ok()) return consents.status();
    for (const ConsentRecord& c : consents.value()) {
      auto uid = UidOf(c.person_id);
      if (!uid.ok()) return uid.status();
      FACET_RETURN_IF_ERROR(protector_.CheckConsent(c, uid.value()));
    }
    view.consents = std::move(consents).value();
    return view;
  }

  store::StoreTxn& inner_;
  const RowProtector& protector_;
  std::unordered_map<int64_t, std::string> uids_;  // person row id -> uid, rows checked
};

// Adds `problem` for a bad row, or counts it.
void Tally(const Status& checked, RowCheck& report) {
  ++report.rows;
  if (!checked.ok()) report.problems.push_back(checked.message());
}

}  // namespace

Status WithRowChecks(store::StoreTxn& raw, const RowProtector& protector,
                     const std::function<Status(store::StoreTxn&)>& fn) {
  ProtectedTxn checked(raw, protector);
  return fn(checked);
}

Status ProtectedStore::Write(const std::function<Status(store::StoreTxn&)>& fn) {
  return backend_->Write([&](store::StoreTxn& txn) {
    ProtectedTxn checked(txn, protector_);
    return fn(checked);
  });
}

Status ProtectedStore::Read(const std::function<Status(store::StoreTxn&)>& fn) {
  return backend_->Read([&](store::StoreTxn& txn) {
    ProtectedTxn checked(txn, protector_);
    return fn(checked);
  });
}

Result<int64_t> AdoptUnprotectedRows(store::StoreTxn& txn, const RowProtector& protector) {
  int64_t adopted = 0;
  auto galleries = txn.ListGalleries();
  if (!galleries.ok()) return galleries.status();
  for (const GalleryRecord& g : galleries.value()) {
    FACET_RETURN_IF_ERROR(txn.SetRowMac(RowTable::kGalleries, g.id, protector.GalleryMac(g)));
    ++adopted;
    auto persons = txn.ListPersons(g.id);
    if (!persons.ok()) return persons.status();
    std::unordered_map<int64_t, std::string> uids;
    for (const PersonRecord& p : persons.value()) {
      FACET_RETURN_IF_ERROR(txn.SetRowMac(RowTable::kPersons, p.id, protector.PersonMac(p)));
      uids[p.id] = p.uid;
      ++adopted;
    }
    auto consents = txn.ListGalleryConsents(g.id);
    if (!consents.ok()) return consents.status();
    for (ConsentRecord c : consents.value()) {
      const std::string& uid = uids[c.person_id];
      if (c.sealed_details.empty()) {
        auto sealed = protector.SealConsentDetails(c, uid);
        if (!sealed.ok()) return sealed.status();
        FACET_RETURN_IF_ERROR(txn.SetConsentSealedDetails(c.id, sealed.value()));
        c.sealed_details = std::move(sealed).value();
        c.granted_by.clear();
        c.purpose.clear();
        c.evidence.clear();
      }
      FACET_RETURN_IF_ERROR(txn.SetRowMac(RowTable::kConsents, c.id, protector.ConsentMac(c, uid)));
      ++adopted;
    }
    std::vector<FaceRecord> faces;
    FACET_RETURN_IF_ERROR(txn.ScanFaces(g.id, [&](const FaceRecord& f) {
      faces.push_back(f);
      return Status::Ok();
    }));
    for (FaceRecord& f : faces) {
      const std::string& uid = uids[f.person_id];
      if (f.sealed_source.empty()) {
        auto sealed = protector.SealFaceSource(f.source_sha256, uid);
        if (!sealed.ok()) return sealed.status();
        FACET_RETURN_IF_ERROR(txn.SetFaceSealedSource(f.id, sealed.value()));
        f.sealed_source = std::move(sealed).value();
        f.source_sha256.clear();
      }
      FACET_RETURN_IF_ERROR(txn.SetRowMac(RowTable::kFaces, f.id, protector.FaceMac(f, uid)));
      ++adopted;
    }
  }
  return adopted;
}

Result<RowCheck> CheckAllRows(store::StoreTxn& txn, const RowProtector& protector) {
  RowCheck report;
  auto galleries = txn.ListGalleries();
  if (!galleries.ok()) return galleries.status();
  for (const GalleryRecord& g : galleries.value()) {
    Tally(protector.CheckGallery(g), report);
    auto persons = txn.ListPersons(g.id);
    if (!persons.ok()) return persons.status();
    std::unordered_map<int64_t, std::string> uids;
    for (const PersonRecord& p : persons.value()) {
      Tally(protector.CheckPerson(p), report);
      uids[p.id] = p.uid;
    }
    auto uid_of = [&](int64_t person, const std::string& row) -> Result<std::string> {
      auto it = uids.find(person);
      if (it != uids.end()) return it->second;
      return Status::StoreCorrupt("store integrity: " + row + " refers to person row " +
                                  std::to_string(person) + ", not in gallery '" + g.name + "'");
    };
    auto consents = txn.ListGalleryConsents(g.id);
    if (!consents.ok()) return consents.status();
    for (ConsentRecord& c : consents.value()) {
      auto uid = uid_of(c.person_id, "consents row " + std::to_string(c.id));
      Status checked = uid.status();
      if (checked.ok()) checked = protector.CheckConsent(c, uid.value());
      if (checked.ok()) checked = protector.OpenConsentDetails(c, uid.value());
      Tally(checked, report);
    }
    FACET_RETURN_IF_ERROR(txn.ScanFaces(g.id, [&](const FaceRecord& raw) -> Status {
      FaceRecord f = raw;
      auto uid = uid_of(f.person_id, "faces row " + std::to_string(f.id));
      Status checked = uid.status();
      if (checked.ok()) checked = protector.CheckFace(f, uid.value());
      if (checked.ok()) checked = protector.OpenFaceSource(f, uid.value());
      Tally(checked, report);
      return Status::Ok();
    }));
  }
  return report;
}

}  // namespace facet::gallery
