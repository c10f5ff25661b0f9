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
constexpr SchemaMigration kSqliteMigrations[] = {{2, kMigrationTo2}, {3, kMigrationTo3}};

Status MigrateInTransaction(SqliteDb& db) {
  int64_t user_version = 0;
  {
    auto version = db.Prepare("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if ((*version)->Step()) user_version = (*version)->Int(0);
    FACET_RETURN_IF_ERROR((*version)->status());
  }
  if (user_version >= kSchemaVersion) return Status::Ok();
  for (const SchemaMigration& m : kSqliteMigrations) {
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

namespace {

// The current row of a statement, for the shared row decoding (store/record_rows.h).
struct SqliteRow {
  const Statement& statement;
  int64_t Int(int c) const { return statement.Int(c); }
  double Real(int c) const { return statement.Real(c); }
  bool Bool(int c) const { return statement.Int(c) != 0; }
  std::string Text(int c) const { return statement.Text(c); }
  std::vector<uint8_t> Bytes(int c) const { return statement.Blob(c); }
  std::optional<int64_t> OptionalInt(int c) const { return statement.OptionalInt(c); }
};

}  // namespace

GalleryRecord ReadGallery(const Statement& s) { return GalleryFromRow(SqliteRow{s}); }
PersonRecord ReadPerson(const Statement& s) { return PersonFromRow(SqliteRow{s}); }
ConsentRecord ReadConsent(const Statement& s) { return ConsentFromRow(SqliteRow{s}); }
FaceRecord ReadFace(const Statement& s) { return FaceFromRow(SqliteRow{s}); }

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace facet::store
