// The embedded default store: one SQLite file in WAL mode with synchronous=FULL (a commit is on
// disk when Write returns), foreign keys, and secure_delete (deleted rows are zeroed in the file).
#include "store/sqlite/sqlite_store.h"

#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "audit/chain.h"
#include "crypto/crypto.h"
#include "store/record_rows.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/template_store.h"

namespace facet::store {
namespace {

// NOLINTBEGIN(bugprone-macro-parentheses): `name` is a declarator.
#define FACET_PREPARE(name, sql)            \
  auto name##_or = db_.Prepare(sql);        \
  if (!name##_or.ok()) return name##_or.status(); \
  Statement& name = **name##_or
// NOLINTEND(bugprone-macro-parentheses)

class SqliteTxn final : public StoreTxn {
 public:
  SqliteTxn(SqliteDb& db, bool writable) : db_(db), writable_(writable) {}

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    FACET_PREPARE(s, "SELECT value FROM meta WHERE key = ?");
    s.Bind(1, key);
    if (s.Step()) return std::optional<std::string>(s.Text(0));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<std::string>();
  }

  Status PutMeta(const std::string& key, const std::string& value) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "INSERT INTO meta(key, value) VALUES(?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    return s.Bind(1, key).Bind(2, value).Run();
  }

  Result<int64_t> InsertGallery(const GalleryRecord& g) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "INSERT INTO galleries(name, purpose, use, model, model_version, dimensions, "
                     "fmr, threshold, threshold_fmr_1e3, threshold_fmr_1e4, keep_photos, "
                     "created_ms, sealed_profile, requested_model) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, g.name).Bind(2, g.purpose).Bind(3, g.use).Bind(4, g.model).Bind(5, g.model_version);
    s.Bind(6, int64_t{g.dimensions}).Bind(7, g.fmr).Bind(8, double{g.threshold});
    s.Bind(9, double{g.threshold_fmr_1e3}).Bind(10, double{g.threshold_fmr_1e4});
    s.Bind(11, int64_t{g.keep_photos ? 1 : 0}).Bind(12, g.created_ms);
    s.Bind(13, g.sealed_profile).Bind(14, g.requested_model);
    FACET_RETURN_IF_ERROR(s.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.handle()));
  }

  Result<std::optional<GalleryRecord>> FindGallery(const std::string& name) override {
    FACET_PREPARE(s, std::string("SELECT ") + kGalleryColumns + " FROM galleries WHERE name = ?");
    s.Bind(1, name);
    if (s.Step()) return std::optional<GalleryRecord>(ReadGallery(s));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<GalleryRecord>();
  }

  Result<std::vector<GalleryRecord>> ListGalleries() override {
    FACET_PREPARE(s, std::string("SELECT ") + kGalleryColumns + " FROM galleries ORDER BY name");
    std::vector<GalleryRecord> out;
    while (s.Step()) out.push_back(ReadGallery(s));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<int64_t> GetGeneration(int64_t gallery_id) override {
    FACET_PREPARE(s, "SELECT generation FROM galleries WHERE id = ?");
    s.Bind(1, gallery_id);
    if (s.Step()) return s.Int(0);
    FACET_RETURN_IF_ERROR(s.status());
    return Status::NotFound("gallery was deleted");
  }

  Status BumpGeneration(int64_t gallery_id) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE galleries SET generation = generation + 1 WHERE id = ?");
    return s.Bind(1, gallery_id).Run();
  }

  Status DeleteGallery(int64_t gallery_id) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "DELETE FROM galleries WHERE id = ?");
    return s.Bind(1, gallery_id).Run();
  }

  Status SetGalleryProfile(int64_t gallery_id, std::span<const uint8_t> sealed_profile) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE galleries SET sealed_profile = ? WHERE id = ?");
    return s.Bind(1, sealed_profile).Bind(2, gallery_id).Run();
  }

  Result<int64_t> InsertPerson(const PersonRecord& p) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "INSERT INTO persons(gallery_id, person_id, uid, sealed_profile, wrapped_key, "
                     "created_ms) VALUES(?, ?, ?, ?, ?, ?)");
    s.Bind(1, p.gallery_id).Bind(2, p.person_id).Bind(3, p.uid).Bind(4, p.sealed_profile);
    s.Bind(5, p.wrapped_key).Bind(6, p.created_ms);
    FACET_RETURN_IF_ERROR(s.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.handle()));
  }

  Result<std::optional<PersonRecord>> FindPerson(int64_t gallery_id,
                                                 const std::string& person_id) override {
    FACET_PREPARE(s, std::string("SELECT ") + kPersonColumns +
                         " FROM persons WHERE gallery_id = ? AND person_id = ?");
    s.Bind(1, gallery_id).Bind(2, person_id);
    if (s.Step()) return std::optional<PersonRecord>(ReadPerson(s));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<PersonRecord>();
  }

  Result<std::optional<PersonRecord>> GetPerson(int64_t person) override {
    FACET_PREPARE(s, std::string("SELECT ") + kPersonColumns + " FROM persons WHERE id = ?");
    s.Bind(1, person);
    if (s.Step()) return std::optional<PersonRecord>(ReadPerson(s));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<PersonRecord>();
  }

  Result<std::vector<PersonRecord>> ListPersons(int64_t gallery_id) override {
    FACET_PREPARE(s, std::string("SELECT ") + kPersonColumns +
                         " FROM persons WHERE gallery_id = ? ORDER BY person_id");
    s.Bind(1, gallery_id);
    std::vector<PersonRecord> out;
    while (s.Step()) out.push_back(ReadPerson(s));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Status SetPersonKey(int64_t person, std::span<const uint8_t> wrapped) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE persons SET wrapped_key = ? WHERE id = ?");
    return s.Bind(1, wrapped).Bind(2, person).Run();
  }

  Status SetPersonProfile(int64_t person, std::span<const uint8_t> sealed_profile) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE persons SET sealed_profile = ? WHERE id = ?");
    return s.Bind(1, sealed_profile).Bind(2, person).Run();
  }

  Status DeletePerson(int64_t person) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "DELETE FROM persons WHERE id = ?");
    return s.Bind(1, person).Run();
  }

  // Consent ids are never reused (audit entries refer to them): each is one past the largest
  // ever given, kept in meta consent_id_last as SQLite's AUTOINCREMENT keeps it in
  // sqlite_sequence (an existing table cannot be given AUTOINCREMENT without a rebuild). For a
  // store from before this counter, it starts past the largest id still present.
  Result<int64_t> InsertConsent(const ConsentRecord& c) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    int64_t id = 0;
    {
      FACET_PREPARE(last, "SELECT max(COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE "
                          "key = 'consent_id_last'), 0), COALESCE((SELECT max(id) FROM "
                          "consents), 0))");
      if (!last.Step()) return last.status().ok() ? Status::Internal("consent id") : last.status();
      id = last.Int(0) + 1;
    }
    FACET_PREPARE(s, "INSERT INTO consents(id, person_id, granted_by, scope, purpose, evidence, "
                     "granted_ms, expires_ms, revoked_ms, sealed_details) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, id).Bind(2, c.person_id).Bind(3, c.granted_by).Bind(4, c.scope).Bind(5, c.purpose);
    s.Bind(6, c.evidence).Bind(7, c.granted_ms).Bind(8, c.expires_ms).Bind(9, c.revoked_ms);
    s.Bind(10, c.sealed_details);
    FACET_RETURN_IF_ERROR(s.Run());
    FACET_RETURN_IF_ERROR(PutMeta("consent_id_last", std::to_string(id)));
    return id;
  }

  Result<std::optional<ConsentRecord>> GetConsent(int64_t consent) override {
    FACET_PREPARE(s, std::string("SELECT ") + kConsentColumns + " FROM consents WHERE id = ?");
    s.Bind(1, consent);
    if (s.Step()) return std::optional<ConsentRecord>(ReadConsent(s));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<ConsentRecord>();
  }

  Result<std::vector<ConsentRecord>> ListGalleryConsents(int64_t gallery_id) override {
    FACET_PREPARE(s, std::string("SELECT ") + kConsentColumns +
                         " FROM consents WHERE person_id IN (SELECT id FROM persons WHERE "
                         "gallery_id = ?) ORDER BY id");
    s.Bind(1, gallery_id);
    std::vector<ConsentRecord> out;
    while (s.Step()) out.push_back(ReadConsent(s));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Status SetConsentSealedDetails(int64_t consent, std::span<const uint8_t> sealed) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE consents SET sealed_details = ?, granted_by = '', purpose = '', "
                     "evidence = '' WHERE id = ?");
    return s.Bind(1, sealed).Bind(2, consent).Run();
  }

  Status SetFaceSealedSource(int64_t face, std::span<const uint8_t> sealed) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE faces SET sealed_source = ?, source_sha256 = '' WHERE id = ?");
    return s.Bind(1, sealed).Bind(2, face).Run();
  }

  Status SetRowMac(RowTable table, int64_t id, std::span<const uint8_t> mac) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, std::string("UPDATE ") + RowTableName(table) + " SET mac = ? WHERE id = ?");
    return s.Bind(1, mac).Bind(2, id).Run();
  }

  Result<std::vector<ConsentRecord>> ListConsents(int64_t person) override {
    FACET_PREPARE(s, std::string("SELECT ") + kConsentColumns +
                         " FROM consents WHERE person_id = ? ORDER BY id");
    s.Bind(1, person);
    std::vector<ConsentRecord> out;
    while (s.Step()) out.push_back(ReadConsent(s));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Status SetConsentRevoked(int64_t consent, int64_t revoked_ms) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE consents SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
    return s.Bind(1, revoked_ms).Bind(2, consent).Run();
  }

  Result<std::vector<int64_t>> PersonsWithLapsedConsent(
      int64_t gallery_id, int64_t now_ms, const std::vector<std::string>& scopes) override {
    const std::string sql =
        "SELECT DISTINCT p.id FROM consents e JOIN persons p ON p.id = e.person_id "
        "WHERE e.expires_ms IS NOT NULL AND e.expires_ms <= ?1 AND p.gallery_id = ?2 "
        "AND p.wrapped_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM consents c "
        "WHERE c.person_id = p.id AND c.revoked_ms IS NULL "
        "AND (c.expires_ms IS NULL OR c.expires_ms > ?1) AND c.scope IN (" +
        Placeholders(scopes.size()) + ")) ORDER BY p.id";
    FACET_PREPARE(s, sql);
    s.Bind(1, now_ms).Bind(2, gallery_id);
    for (size_t i = 0; i < scopes.size(); ++i) s.Bind(static_cast<int>(i + 3), scopes[i]);
    std::vector<int64_t> out;
    while (s.Step()) out.push_back(s.Int(0));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<std::optional<int64_t>> NextConsentExpiry(int64_t gallery_id, int64_t now_ms) override {
    FACET_PREPARE(s, "SELECT MIN(c.expires_ms) FROM consents c JOIN persons p ON p.id = c.person_id "
                     "WHERE c.expires_ms > ? AND c.revoked_ms IS NULL AND p.gallery_id = ? "
                     "AND p.wrapped_key IS NOT NULL");
    s.Bind(1, now_ms).Bind(2, gallery_id);
    std::optional<int64_t> out;
    if (s.Step()) out = s.OptionalInt(0);
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<int64_t> InsertFace(const FaceRecord& f) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "INSERT INTO faces(person_id, gallery_id, sealed_template, quality, "
                     "source_sha256, created_ms, sealed_photo, sealed_user_data, sealed_source) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, f.person_id).Bind(2, f.gallery_id).Bind(3, f.sealed_template).Bind(4, f.quality);
    s.Bind(5, f.source_sha256).Bind(6, f.created_ms).Bind(7, f.sealed_photo);
    s.Bind(8, f.sealed_user_data).Bind(9, f.sealed_source);
    FACET_RETURN_IF_ERROR(s.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.handle()));
  }

  Result<std::optional<FaceRecord>> GetFace(int64_t face) override {
    FACET_PREPARE(s, "SELECT " + FaceColumns(/*with_photo=*/false) + " FROM faces WHERE id = ?");
    s.Bind(1, face);
    if (s.Step()) return std::optional<FaceRecord>(ReadFace(s));
    FACET_RETURN_IF_ERROR(s.status());
    return std::optional<FaceRecord>();
  }

  Result<std::vector<FaceRecord>> ListFaces(int64_t person, bool with_photos) override {
    FACET_PREPARE(s, "SELECT " + FaceColumns(with_photos) +
                         " FROM faces WHERE person_id = ? ORDER BY id");
    s.Bind(1, person);
    std::vector<FaceRecord> out;
    while (s.Step()) out.push_back(ReadFace(s));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Status ScanFaces(int64_t gallery_id, const std::function<Status(const FaceRecord&)>& fn) override {
    FACET_PREPARE(s, "SELECT " + FaceColumns(/*with_photo=*/false) +
                         " FROM faces WHERE gallery_id = ? ORDER BY id");
    s.Bind(1, gallery_id);
    while (s.Step()) FACET_RETURN_IF_ERROR(fn(ReadFace(s)));
    return s.status();
  }

  Result<std::vector<std::pair<int64_t, int64_t>>> FaceIds(int64_t gallery_id) override {
    FACET_PREPARE(s, "SELECT id, person_id FROM faces WHERE gallery_id = ? ORDER BY id");
    s.Bind(1, gallery_id);
    std::vector<std::pair<int64_t, int64_t>> out;
    while (s.Step()) out.emplace_back(s.Int(0), s.Int(1));
    FACET_RETURN_IF_ERROR(s.status());
    return out;
  }

  Result<int64_t> CountFaces(int64_t gallery_id) override {
    FACET_PREPARE(s, "SELECT COUNT(*) FROM faces WHERE gallery_id = ?");
    s.Bind(1, gallery_id);
    int64_t count = 0;
    if (s.Step()) count = s.Int(0);
    FACET_RETURN_IF_ERROR(s.status());
    return count;
  }

  Status DeleteFace(int64_t face) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "DELETE FROM faces WHERE id = ?");
    return s.Bind(1, face).Run();
  }

  Status SetFaceUserData(int64_t face, std::span<const uint8_t> sealed_user_data) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "UPDATE faces SET sealed_user_data = ? WHERE id = ?");
    return s.Bind(1, sealed_user_data).Bind(2, face).Run();
  }

  Result<int64_t> DeleteFacesOfPerson(int64_t person) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "DELETE FROM faces WHERE person_id = ?");
    FACET_RETURN_IF_ERROR(s.Bind(1, person).Run());
    return static_cast<int64_t>(sqlite3_changes(db_.handle()));
  }

  Result<AuditHead> GetAuditHead() override {
    AuditHead head;
    FACET_PREPARE(s, "SELECT key, value FROM meta WHERE key IN "
                     "('audit_head_count', 'audit_head_hash', 'audit_head_mac')");
    while (s.Step()) FACET_RETURN_IF_ERROR(ParseAuditHeadField(s.Text(0), s.Text(1), head));
    FACET_RETURN_IF_ERROR(s.status());
    return head;
  }

  Status AppendAudit(const AuditEntry& e, const AuditHead& new_head) override {
    FACET_RETURN_IF_ERROR(CheckWritable());
    FACET_PREPARE(s, "INSERT INTO audit(seq, time_ms, actor, action, gallery, purpose, subjects, "
                     "details, previous_hash, hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, e.seq).Bind(2, audit::ToUnixMillis(e.time)).Bind(3, e.actor).Bind(4, e.action);
    s.Bind(5, e.gallery).Bind(6, e.purpose).Bind(7, e.subjects).Bind(8, e.details);
    s.Bind(9, std::span<const uint8_t>(e.previous_hash)).Bind(10, std::span<const uint8_t>(e.hash));
    FACET_RETURN_IF_ERROR(s.Run());
    FACET_RETURN_IF_ERROR(PutMeta("audit_head_count", std::to_string(new_head.count)));
    FACET_RETURN_IF_ERROR(PutMeta("audit_head_hash", crypto::ToHex(new_head.hash)));
    return PutMeta("audit_head_mac", crypto::ToHex(new_head.mac));
  }

  Result<std::vector<std::string>> MissingAuditGuards() override {
    std::vector<std::string> missing;
    for (const char* trigger : {"audit_no_update", "audit_no_delete"}) {
      FACET_PREPARE(s, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ? "
                       "AND tbl_name = 'audit'");
      s.Bind(1, std::string(trigger));
      if (!s.Step()) return s.status().ok() ? Status::Internal("trigger count") : s.status();
      if (s.Int(0) != 1) missing.emplace_back(trigger);
    }
    return missing;
  }

  Status ScanAudit(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) override {
    FACET_PREPARE(s, "SELECT seq, time_ms, actor, action, gallery, purpose, subjects, details, "
                     "previous_hash, hash FROM audit WHERE seq >= ? ORDER BY rowid");
    s.Bind(1, from_seq);
    while (s.Step()) {
      AuditEntry e;
      e.seq = s.Int(0);
      e.time = audit::FromUnixMillis(s.Int(1));
      e.actor = s.Text(2);
      e.action = s.Text(3);
      e.gallery = s.Text(4);
      e.purpose = s.Text(5);
      e.subjects = s.Text(6);
      e.details = s.Text(7);
      e.previous_hash = ToHash(s.Blob(8));
      e.hash = ToHash(s.Blob(9));
      if (!fn(e)) break;
    }
    return s.status();
  }

 private:
  Status CheckWritable() const {
    return writable_ ? Status::Ok() : Status::Internal("write inside a read transaction");
  }

  SqliteDb& db_;
  bool writable_;
};

#undef FACET_PREPARE

class SqliteStore final : public TemplateStore {
 public:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Write(const std::function<Status(StoreTxn&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    FACET_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    SqliteTxn txn(*db_, true);
    Status status = fn(txn);
    if (status.ok()) status = db_->Exec("COMMIT");
    if (!status.ok()) (void)db_->Exec("ROLLBACK");
    return status;
  }

  Status Read(const std::function<Status(StoreTxn&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    FACET_RETURN_IF_ERROR(db_->Exec("BEGIN"));
    SqliteTxn txn(*db_, false);
    Status status = fn(txn);
    (void)db_->Exec(status.ok() ? "COMMIT" : "ROLLBACK");
    return status;
  }

  Status PurgeDeleted() override {
    std::lock_guard<std::mutex> lock(mutex_);
    // secure_delete already zeroed the freed content in the main file; a truncating checkpoint
    // moves everything out of the WAL and empties it, so older page images go too.
    return db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  Status CheckIntegrity() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return Check("integrity_check");
  }

  std::string Describe() const override { return "sqlite:" + db_->path(); }

  // Runs PRAGMA quick_check or integrity_check. Caller holds the lock (or has sole access).
  Status Check(const std::string& pragma) {
    auto s = db_->Prepare("PRAGMA " + pragma);
    if (!s.ok()) return s.status();
    std::string problems;
    while ((*s)->Step()) {
      const std::string line = (*s)->Text(0);
      if (line != "ok" && problems.size() < 500) problems += (problems.empty() ? "" : "; ") + line;
    }
    FACET_RETURN_IF_ERROR((*s)->status());
    if (!problems.empty()) {
      return Status::CorruptData(db_->path() + ": the store is damaged: " + problems);
    }
    return Status::Ok();
  }

  Status Initialize(bool create, bool check) {
    // A foreign or damaged file fails on its first read; say what it is.
    auto id = db_->Prepare("PRAGMA application_id");
    if (!id.ok()) return Annotate(id.status());
    int64_t application_id = 0;
    if ((*id)->Step()) application_id = (*id)->Int(0);
    FACET_RETURN_IF_ERROR(Annotate((*id)->status()));
    id->reset();
    auto version = db_->Prepare("PRAGMA user_version");
    if (!version.ok()) return Annotate(version.status());
    int64_t user_version = 0;
    if ((*version)->Step()) user_version = (*version)->Int(0);
    FACET_RETURN_IF_ERROR(Annotate((*version)->status()));
    version->reset();
    const bool empty = application_id == 0 && user_version == 0;
    if (empty && !create) {
      return Status::CorruptData(db_->path() + ": not a facet store (run `facet init` to create one)");
    }
    if (!empty && application_id != kApplicationId) {
      return Status::CorruptData(db_->path() + ": not a facet store (foreign SQLite database)");
    }
    if (user_version > kSchemaVersion) {
      return Status::FailedPrecondition(db_->path() + ": store schema version " +
                                        std::to_string(user_version) +
                                        " is newer than this facet supports (" +
                                        std::to_string(kSchemaVersion) + ")");
    }
    FACET_RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode = WAL"));
    FACET_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                                    "PRAGMA secure_delete = ON"));
    if (empty) {
      FACET_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
      Status status = db_->Exec(kSchema);
      if (status.ok()) {
        status = db_->Exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
                           "; PRAGMA user_version = " + std::to_string(kSchemaVersion));
      }
      if (status.ok()) status = db_->Exec("COMMIT");
      if (!status.ok()) {
        (void)db_->Exec("ROLLBACK");
        return status;
      }
    } else {
      if (check) FACET_RETURN_IF_ERROR(Annotate(Check("quick_check")));
      if (user_version < kSchemaVersion) FACET_RETURN_IF_ERROR(MigrateSchema(*db_));
    }
    return Status::Ok();
  }

 private:
  Status Annotate(const Status& status) const {
    if (status.ok() || status.code() != StatusCode::kCorruptData ||
        status.message().rfind(db_->path(), 0) == 0) {
      return status;
    }
    return Status::CorruptData(db_->path() + ": " + status.message());
  }

  std::mutex mutex_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

Result<std::unique_ptr<TemplateStore>> OpenSqliteStore(const std::string& path,
                                                       const StoreOpenOptions& options) {
  if (path.empty()) return Status::InvalidArgument("store location is empty");
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && !options.create) {
    return Status::NotFound(path + ": store not found (create it with `facet init`)");
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path + ": is a directory, not a store file");
  }
  if (exists && options.create) {
    return Status::FailedPrecondition(path + ": a store already exists here");
  }
  if (options.create) {
    FACET_RETURN_IF_ERROR(CreatePrivateFile(path));
  } else {
    FACET_RETURN_IF_ERROR(CheckPrivateStoreFiles(path));
  }
  auto db = SqliteDb::Open(path, options.create, options.busy_timeout_ms);
  if (!db.ok()) {
    if (options.create) ::unlink(path.c_str());
    return db.status();
  }
  auto store = std::make_unique<SqliteStore>(std::move(db).value());
  FACET_RETURN_IF_ERROR(store->Initialize(options.create, options.check_on_open));
  return std::unique_ptr<TemplateStore>(std::move(store));
}

}  // namespace facet::store
