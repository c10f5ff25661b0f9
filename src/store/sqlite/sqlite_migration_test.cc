// A store of an older schema version, written here with that version's DDL (as facet wrote it),
// is migrated by the current code when it opens it, and keeps its rows.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "store/template_store.h"

namespace facet::store {
namespace {

// Schema version 1 (facet before the Azure labels), verbatim.
constexpr const char* kSchemaVersion1 = R"sql(
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
  generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE persons(
  id INTEGER PRIMARY KEY,
  gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
  person_id TEXT NOT NULL,
  uid TEXT NOT NULL UNIQUE,
  sealed_profile BLOB NOT NULL,
  wrapped_key BLOB,
  created_ms INTEGER NOT NULL,
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
  revoked_ms INTEGER);
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
  sealed_photo BLOB);
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
PRAGMA application_id = 1178813780;  -- "FCET"
PRAGMA user_version = 1;
INSERT INTO meta VALUES ('schema_version', '1'), ('store_uid', 'abc');
INSERT INTO galleries(name, purpose, use, model, model_version, dimensions, fmr, threshold,
  threshold_fmr_1e3, threshold_fmr_1e4, keep_photos, created_ms, generation)
  VALUES ('office', 'door access', 'identify', 'm', '1', 4, 0.0001, 0.5, 0.4, 0.5, 1, 1000, 3);
INSERT INTO persons(gallery_id, person_id, uid, sealed_profile, wrapped_key, created_ms)
  VALUES (1, 'amy', 'p_1', x'0101', x'0202', 2000);
INSERT INTO consents(person_id, granted_by, scope, purpose, evidence, granted_ms)
  VALUES (1, 'amy', 'identify', 'door access', '', 2500);
INSERT INTO faces(person_id, gallery_id, sealed_template, quality, source_sha256, created_ms,
  sealed_photo) VALUES (1, 1, x'030303', 'high', 'ab', 3000, x'0404');
INSERT INTO audit VALUES (1, 1000, 'cli', 'store_create', '', '', '', '{}', x'00', x'11');
)sql";

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("facet_migrate_" + crypto::RandomHex(6));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteVersion1Store() {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, kSchemaVersion1, nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
    ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);  // sqlite3_open made it 0666 minus the umask
  }

  int64_t UserVersion() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    const int64_t version = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return version;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(MigrationTest, Version1StoreIsMigratedOnOpenAndKeepsItsRows) {
  WriteVersion1Store();
  ASSERT_EQ(UserVersion(), 1);
  {
    auto store = OpenStore({.location = path_});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)
                    ->Read([](StoreTxn& txn) -> Status {
                      auto version = txn.GetMeta("schema_version");
                      EXPECT_TRUE(version.ok() && version->has_value());
                      EXPECT_EQ(version->value_or(""), std::to_string(kSchemaVersion));
                      auto g = txn.FindGallery("office");
                      if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
                      const GalleryRecord& gallery = **g;
                      EXPECT_EQ(gallery.purpose, "door access");
                      EXPECT_EQ(gallery.generation, 3);
                      EXPECT_TRUE(gallery.keep_photos);
                      EXPECT_TRUE(gallery.sealed_profile.empty());  // version 1 kept no labels
                      EXPECT_EQ(gallery.requested_model, "");
                      auto person = txn.FindPerson(gallery.id, "amy");
                      if (!person.ok() || !person->has_value())
                        return Status::Internal("person lost");
                      EXPECT_EQ((*person)->wrapped_key, (std::vector<uint8_t>{2, 2}));
                      auto consents = txn.ListConsents((*person)->id);
                      EXPECT_TRUE(consents.ok() && consents->size() == 1);
                      auto faces = txn.ListFaces((*person)->id, true);
                      if (!faces.ok() || faces->size() != 1) return Status::Internal("face lost");
                      EXPECT_EQ((*faces)[0].sealed_template, (std::vector<uint8_t>{3, 3, 3}));
                      EXPECT_EQ((*faces)[0].sealed_photo, (std::vector<uint8_t>{4, 4}));
                      EXPECT_TRUE((*faces)[0].sealed_user_data.empty());
                      int entries = 0;
                      FACET_RETURN_IF_ERROR(
                          txn.ScanAudit(1, [&](const AuditEntry&) { return ++entries > 0; }));
                      EXPECT_EQ(entries, 1);
                      auto guards = txn.MissingAuditGuards();
                      EXPECT_TRUE(guards.ok() && guards->empty());
                      return Status::Ok();
                    })
                    .ok());
    // The new columns take values.
    ASSERT_TRUE(
        (*store)
            ->Write([](StoreTxn& txn) -> Status {
              auto g = txn.FindGallery("office");
              if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
              FACET_RETURN_IF_ERROR(txn.SetGalleryProfile((*g)->id, std::vector<uint8_t>{9, 9}));
              auto person = txn.FindPerson((*g)->id, "amy");
              if (!person.ok() || !person->has_value()) return Status::Internal("person lost");
              auto faces = txn.ListFaces((*person)->id, false);
              if (!faces.ok() || faces->empty()) return Status::Internal("face lost");
              return txn.SetFaceUserData((*faces)[0].id, std::vector<uint8_t>{7});
            })
            .ok());
  }
  EXPECT_EQ(UserVersion(), kSchemaVersion);
  // Opening again migrates nothing and reads what was written.
  auto again = OpenStore({.location = path_});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE((*again)
                  ->Read([](StoreTxn& txn) -> Status {
                    auto g = txn.FindGallery("office");
                    if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
                    EXPECT_EQ((*g)->sealed_profile, (std::vector<uint8_t>{9, 9}));
                    auto person = txn.FindPerson((*g)->id, "amy");
                    if (!person.ok() || !person->has_value())
                      return Status::Internal("person lost");
                    auto faces = txn.ListFaces((*person)->id, false);
                    if (!faces.ok() || faces->empty()) return Status::Internal("face lost");
                    EXPECT_EQ((*faces)[0].sealed_user_data, (std::vector<uint8_t>{7}));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_TRUE((*again)->CheckIntegrity().ok());
}

TEST_F(MigrationTest, NewStoreHasTheCurrentColumns) {
  auto store = OpenStore({.location = path_, .create = true});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(UserVersion(), kSchemaVersion);
  ASSERT_TRUE((*store)
                  ->Write([](StoreTxn& txn) -> Status {
                    GalleryRecord g;
                    g.name = "g";
                    g.purpose = "p";
                    g.use = "verify";
                    g.model = "m";
                    g.model_version = "1";
                    g.dimensions = 4;
                    g.sealed_profile = {5};
                    g.requested_model = "recognition_04";
                    auto id = txn.InsertGallery(g);
                    if (!id.ok()) return id.status();
                    auto found = txn.FindGallery("g");
                    if (!found.ok() || !found->has_value()) return Status::Internal("gallery lost");
                    EXPECT_EQ((*found)->sealed_profile, (std::vector<uint8_t>{5}));
                    EXPECT_EQ((*found)->requested_model, "recognition_04");
                    FACET_RETURN_IF_ERROR(txn.SetGalleryProfile(id.value(), {}));  // empty: removed
                    found = txn.FindGallery("g");
                    if (!found.ok() || !found->has_value()) return Status::Internal("gallery lost");
                    EXPECT_TRUE((*found)->sealed_profile.empty());
                    return Status::Ok();
                  })
                  .ok());
}

}  // namespace
}  // namespace facet::store
