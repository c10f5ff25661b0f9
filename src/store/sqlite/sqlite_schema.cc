// The embedded store's SQL schema and the decoding of its rows into records (sqlite_store.cc
// runs the statements). docs/store_format.md documents the schema.
#include "store/sqlite/sqlite_schema.h"

#include <algorithm>
#include <string>

namespace facet::store {

const char* const kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE galleries(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL,
  use TEXT NOT NULL CHECK (use IN ('identify', 'verify')),
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  fmr REAL NOT NULL,
  threshold REAL NOT NULL,
  threshold_fmr_1e3 REAL NOT NULL,
  threshold_fmr_1e4 REAL NOT NULL,
  keep_photos INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  sealed_profile BLOB,
  requested_model TEXT NOT NULL DEFAULT '',
  mac BLOB);
CREATE TABLE persons(
  id INTEGER PRIMARY KEY,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  person_id TEXT NOT NULL,
  uid TEXT NOT NULL UNIQUE,
  sealed_profile BLOB NOT NULL,
  wrapped_key BLOB,
  created_ms INTEGER NOT NULL,
  mac BLOB,
  UNIQUE(gallery_id, person_id));
CREATE TABLE consents(
  id INTEGER PRIMARY KEY,
  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  granted_by TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('verify', 'identify')),
  purpose TEXT NOT NULL,
  evidence TEXT NOT NULL,
  granted_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  revoked_ms INTEGER,
  sealed_details BLOB,
  mac BLOB);
CREATE INDEX consents_person ON consents(person_id);
CREATE INDEX consents_expiry ON consents(expires_ms) WHERE expires_ms IS NOT NULL;
CREATE TABLE faces(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  sealed_template BLOB NOT NULL,
  quality TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  sealed_photo BLOB,
  sealed_user_data BLOB,
  sealed_source BLOB,
  mac BLOB);
CREATE INDEX faces_person ON faces(person_id);
CREATE INDEX faces_gallery ON faces(gallery_id, id);
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  gallery TEXT NOT NULL,
  purpose TEXT NOT NULL,
  subjects TEXT NOT NULL,
  details TEXT NOT NULL,
  previous_hash BLOB NOT NULL,
  hash BLOB NOT NULL);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

namespace {

// Version 1 -> 2: Azure Face's group name/userData (sealed), the recognition model name the
// caller asked for, and a face's userData (sealed). Columns added at the end, so version 1's rows
// read as "none given".
constexpr const char* kMigrationTo2 = R"sql(
ALTER TABLE galleries ADD COLUMN sealed_profile BLOB;
ALTER TABLE galleries ADD COLUMN requested_model TEXT NOT NULL DEFAULT '';
ALTER TABLE faces ADD COLUMN sealed_user_data BLOB;
)sql";

// Version 2 -> 3: the row MACs and the sealed consent details and face sources (filled by the
// gallery layer, which holds the keys, when it first opens the store: docs/store_format.md).
constexpr const char* kMigrationTo3 = R"sql(
ALTER TABLE galleries ADD COLUMN mac BLOB;
ALTER TABLE persons ADD COLUMN mac BLOB;
ALTER TABLE consents ADD COLUMN sealed_details BLOB;
ALTER TABLE consents ADD COLUMN mac BLOB;
ALTER TABLE faces ADD COLUMN sealed_source BLOB;
ALTER TABLE faces ADD COLUMN mac BLOB;
)sql";

// One step of the schema: `sql` takes a store from version to_version - 1 to to_version.
struct SchemaMigration {
  int to_version;
  const char* sql;
};
constexpr SchemaMigration kMigrations[] = {{2, kMigrationTo2}, {3, kMigrationTo3}};

Status MigrateInTransaction(SqliteDb& db) {
  int64_t user_version = 0;
  {
    auto version = db.Prepare("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if ((*version)->Step()) user_version = (*version)->Int(0);
    FACET_RETURN_IF_ERROR((*version)->status());
  }
  if (user_version >= kSchemaVersion) return Status::Ok();
  for (const SchemaMigration& m : kMigrations) {
    if (m.to_version <= user_version) continue;
    const Status step = db.Exec(m.sql);
    if (!step.ok()) {
      return Status::Internal(db.path() + ": migrating the store to schema version " +
                              std::to_string(m.to_version) + " failed: " + step.message());
    }
  }
  const std::string to = std::to_string(kSchemaVersion);
  FACET_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + to));
  return db.Exec("UPDATE meta SET value = '" + to + "' WHERE key = 'schema_version'");
}

}  // namespace

Status MigrateSchema(SqliteDb& db) {
  FACET_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status status = MigrateInTransaction(db);
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok()) (void)db.Exec("ROLLBACK");
  return status;
}

const char* const kGalleryColumns =
    "id, name, purpose, use, model, model_version, dimensions, fmr, threshold, threshold_fmr_1e3, "
    "threshold_fmr_1e4, keep_photos, created_ms, generation, sealed_profile, requested_model, "
    "mac";
const char* const kPersonColumns =
    "id, gallery_id, person_id, uid, sealed_profile, wrapped_key, created_ms, mac";
const char* const kConsentColumns =
    "id, person_id, granted_by, scope, purpose, evidence, granted_ms, expires_ms, revoked_ms, "
    "sealed_details, mac";

GalleryRecord ReadGallery(const Statement& s) {
  GalleryRecord g;
  g.id = s.Int(0);
  g.name = s.Text(1);
  g.purpose = s.Text(2);
  g.use = s.Text(3);
  g.model = s.Text(4);
  g.model_version = s.Text(5);
  g.dimensions = static_cast<int>(s.Int(6));
  g.fmr = s.Real(7);
  g.threshold = static_cast<float>(s.Real(8));
  g.threshold_fmr_1e3 = static_cast<float>(s.Real(9));
  g.threshold_fmr_1e4 = static_cast<float>(s.Real(10));
  g.keep_photos = s.Int(11) != 0;
  g.created_ms = s.Int(12);
  g.generation = s.Int(13);
  g.sealed_profile = s.Blob(14);
  g.requested_model = s.Text(15);
  g.mac = s.Blob(16);
  return g;
}

PersonRecord ReadPerson(const Statement& s) {
  PersonRecord p;
  p.id = s.Int(0);
  p.gallery_id = s.Int(1);
  p.person_id = s.Text(2);
  p.uid = s.Text(3);
  p.sealed_profile = s.Blob(4);
  p.wrapped_key = s.Blob(5);
  p.created_ms = s.Int(6);
  p.mac = s.Blob(7);
  return p;
}

ConsentRecord ReadConsent(const Statement& s) {
  ConsentRecord c;
  c.id = s.Int(0);
  c.person_id = s.Int(1);
  c.granted_by = s.Text(2);
  c.scope = s.Text(3);
  c.purpose = s.Text(4);
  c.evidence = s.Text(5);
  c.granted_ms = s.Int(6);
  c.expires_ms = s.OptionalInt(7);
  c.revoked_ms = s.OptionalInt(8);
  c.sealed_details = s.Blob(9);
  c.mac = s.Blob(10);
  return c;
}

std::array<uint8_t, 32> ToHash(const std::vector<uint8_t>& bytes) {
  std::array<uint8_t, 32> out{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
  return out;
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

std::string FaceColumns(bool with_photo) {
  return std::string(
             "id, person_id, gallery_id, sealed_template, quality, source_sha256, "
             "created_ms, ") +
         (with_photo ? "sealed_photo" : "NULL") +
         ", sealed_photo IS NOT NULL, sealed_user_data, sealed_source, mac";
}

FaceRecord ReadFace(const Statement& s) {
  FaceRecord f;
  f.id = s.Int(0);
  f.person_id = s.Int(1);
  f.gallery_id = s.Int(2);
  f.sealed_template = s.Blob(3);
  f.quality = s.Text(4);
  f.source_sha256 = s.Text(5);
  f.created_ms = s.Int(6);
  f.sealed_photo = s.Blob(7);
  f.has_photo = s.Int(8) != 0;
  f.sealed_user_data = s.Blob(9);
  f.sealed_source = s.Blob(10);
  f.mac = s.Blob(11);
  return f;
}

}  // namespace facet::store
