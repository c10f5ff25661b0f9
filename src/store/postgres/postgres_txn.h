// The row operations of the PostgreSQL store (StoreTxn over one libpq connection inside a
// transaction), and what a write changed, for the change log. Internal to the PostgreSQL store.
//
// Thread-safety: none; valid only inside the Write/Read callback it was passed to.
#ifndef FACET_SRC_STORE_POSTGRES_POSTGRES_TXN_H_
#define FACET_SRC_STORE_POSTGRES_POSTGRES_TXN_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/pg_conn.h"
#include "store/template_store.h"

namespace facet::store {

// What one write transaction changed in the galleries (the payload of its change-log row).
struct ChangeSet {
  std::set<int64_t> galleries;          // touched (created, bumped, or with faces added/removed)
  std::set<int64_t> deleted_galleries;  // deleted with everything in them
  std::vector<int64_t> added_faces;
  std::vector<int64_t> removed_faces;
  std::set<int64_t> shredded_persons;  // data key destroyed or person deleted

  bool empty() const { return galleries.empty() && deleted_galleries.empty(); }
  // Compact JSON: {"g":[...],"dg":[...],"add":[...],"del":[...],"shred":[...]}.
  std::string ToJson() const;
};

class PostgresTxn final : public StoreTxn {
 public:
  PostgresTxn(pg::PgConnection& conn, bool writable) : conn_(conn), writable_(writable) {}

  const ChangeSet& changes() const { return changes_; }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;

  Result<int64_t> InsertGallery(const GalleryRecord& gallery) override;
  Result<std::optional<GalleryRecord>> FindGallery(const std::string& name) override;
  Result<std::vector<GalleryRecord>> ListGalleries() override;
  Result<int64_t> GetGeneration(int64_t gallery_id) override;
  Status BumpGeneration(int64_t gallery_id) override;
  Status DeleteGallery(int64_t gallery_id) override;
  Status SetGalleryProfile(int64_t gallery_id, std::span<const uint8_t> sealed_profile) override;

  Result<int64_t> InsertPerson(const PersonRecord& person) override;
  Result<std::optional<PersonRecord>> FindPerson(int64_t gallery_id,
                                                 const std::string& person_id) override;
  Result<std::optional<PersonRecord>> GetPerson(int64_t person) override;
  Result<std::vector<PersonRecord>> ListPersons(int64_t gallery_id) override;
  Status SetPersonKey(int64_t person, std::span<const uint8_t> wrapped) override;
  Status SetPersonProfile(int64_t person, std::span<const uint8_t> sealed_profile) override;
  Status DeletePerson(int64_t person) override;

  Result<int64_t> InsertConsent(const ConsentRecord& consent) override;
  Result<std::optional<ConsentRecord>> GetConsent(int64_t consent) override;
  Result<std::vector<ConsentRecord>> ListConsents(int64_t person) override;
  Result<std::vector<ConsentRecord>> ListGalleryConsents(int64_t gallery_id) override;
  Status SetConsentSealedDetails(int64_t consent, std::span<const uint8_t> sealed) override;
  Status SetConsentRevoked(int64_t consent, int64_t revoked_ms) override;
  Result<std::vector<int64_t>> PersonsWithLapsedConsent(
      int64_t gallery_id, int64_t now_ms, const std::vector<std::string>& scopes) override;
  Result<std::optional<int64_t>> NextConsentExpiry(int64_t gallery_id, int64_t now_ms) override;

  Result<int64_t> InsertFace(const FaceRecord& face) override;
  Result<std::vector<FaceRecord>> ListFaces(int64_t person, bool with_photos) override;
  Result<std::optional<FaceRecord>> GetFace(int64_t face) override;
  Status ScanFaces(int64_t gallery_id, const std::function<Status(const FaceRecord&)>& fn) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> FaceIds(int64_t gallery_id) override;
  Result<int64_t> CountFaces(int64_t gallery_id) override;
  Status DeleteFace(int64_t face) override;
  Status SetFaceUserData(int64_t face, std::span<const uint8_t> sealed_user_data) override;
  Status SetFaceSealedSource(int64_t face, std::span<const uint8_t> sealed) override;
  Status SetRowMac(RowTable table, int64_t id, std::span<const uint8_t> mac) override;
  Result<int64_t> DeleteFacesOfPerson(int64_t person) override;

  Result<AuditHead> GetAuditHead() override;
  Status AppendAudit(const AuditEntry& entry, const AuditHead& new_head) override;
  Status AppendAuditEntries(std::span<const AuditEntry> entries,
                            const AuditHead& new_head) override;
  Status ScanAudit(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) override;
  Result<std::vector<std::string>> MissingAuditGuards() override;
  Result<std::vector<FaceRecord>> GetFaces(std::span<const int64_t> ids) override;

 private:
  Status CheckWritable() const;

  pg::PgConnection& conn_;
  bool writable_;
  ChangeSet changes_;
};

}  // namespace facet::store

#endif  // FACET_SRC_STORE_POSTGRES_POSTGRES_TXN_H_
