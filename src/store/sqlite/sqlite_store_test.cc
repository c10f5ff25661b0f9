#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "crypto/crypto.h"
#include "store/template_store.h"

namespace facet::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("facet_store_" + crypto::RandomHex(6));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<TemplateStore> Create() {
    auto store = OpenStore({.location = path_, .create = true});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Fills a store with enough rows to span many pages.
  void Populate(TemplateStore& store) {
    ASSERT_TRUE(store.Write([](StoreTxn& txn) -> Status {
      GalleryRecord g;
      g.name = "office";
      g.purpose = "door";
      g.use = "identify";
      g.model = "m";
      g.model_version = "1";
      g.dimensions = 4;
      auto id = txn.InsertGallery(g);
      if (!id.ok()) return id.status();
      for (int p = 0; p < 200; ++p) {
        PersonRecord person;
        person.gallery_id = id.value();
        person.person_id = "person" + std::to_string(p);
        person.uid = "u" + std::to_string(p);
        person.sealed_profile = std::vector<uint8_t>(100, 1);
        auto pid = txn.InsertPerson(person);
        if (!pid.ok()) return pid.status();
        FaceRecord face;
        face.person_id = pid.value();
        face.gallery_id = id.value();
        face.sealed_template = std::vector<uint8_t>(800, 2);
        face.quality = "high";
        face.source_sha256 = std::string(64, 'a');
        auto fid = txn.InsertFace(face);
        if (!fid.ok()) return fid.status();
      }
      return Status::Ok();
    }).ok());
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StoreTest, CreatesReopensAndRefusesToRecreate) {
  {
    auto store = Create();
    ASSERT_NE(store, nullptr);
    Populate(*store);
  }
  auto again = OpenStore({.location = path_});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  int64_t faces = 0;
  ASSERT_TRUE((*again)->Read([&](StoreTxn& txn) -> Status {
    auto g = txn.FindGallery("office");
    if (!g.ok() || !g->has_value()) return Status::Internal("gallery missing");
    auto count = txn.CountFaces((*g)->id);
    faces = count.value();
    return Status::Ok();
  }).ok());
  EXPECT_EQ(faces, 200);
  EXPECT_EQ(OpenStore({.location = path_, .create = true}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenStore({.location = (dir_ / "none.db").string()}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(OpenStore({.location = "mysql://host/db"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE((*again)->CheckIntegrity().ok());
}

TEST_F(StoreTest, FailedTransactionLeavesNothing) {
  auto store = Create();
  const Status status = store->Write([](StoreTxn& txn) -> Status {
    GalleryRecord g;
    g.name = "temp";
    g.use = "identify";
    FACET_RETURN_IF_ERROR(txn.InsertGallery(g).status());
    return Status::Internal("changed my mind");
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  ASSERT_TRUE(store->Read([](StoreTxn& txn) -> Status {
    auto g = txn.FindGallery("temp");
    return g.ok() && !g->has_value() ? Status::Ok() : Status::Internal("gallery survived");
  }).ok());
  // Writes inside a read transaction are refused.
  EXPECT_FALSE(store->Read([](StoreTxn& txn) { return txn.PutMeta("a", "b"); }).ok());
}

TEST_F(StoreTest, AuditTableIsAppendOnly) {
  auto store = Create();
  AuditEntry e;
  e.seq = 1;
  e.actor = "a";
  ASSERT_TRUE(store->Write([&](StoreTxn& txn) { return txn.AppendAudit(e, {1, {}, {}}); }).ok());
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit SET actor = 'b'", nullptr, nullptr, &error), SQLITE_OK);
  sqlite3_free(error);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, &error), SQLITE_OK);
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST_F(StoreTest, ForeignDamagedTruncatedAndNewerFilesAreRefused) {
  {
    auto store = Create();
    Populate(*store);
    ASSERT_TRUE(store->PurgeDeleted().ok());  // checkpoint: everything in the main file
  }
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 100'000u);
  std::vector<char> bytes(size);
  std::ifstream(path_, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(size));
  auto write = [&](const std::vector<char>& b) {
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  auto expect_corrupt = [&](const char* what) {
    auto store = OpenStore({.location = path_});
    EXPECT_EQ(store.status().code(), StatusCode::kCorruptData) << what << ": "
                                                               << store.status().ToString();
    EXPECT_NE(store.status().message().find(path_), std::string::npos)
        << what << ": " << store.status().message();
  };
  // Truncated to half, to a few pages, into the header.
  write(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size / 2)));
  expect_corrupt("half");
  write(std::vector<char>(bytes.begin(), bytes.begin() + 3 * 4096 + 100));
  expect_corrupt("three pages");
  write(std::vector<char>(bytes.begin(), bytes.begin() + 50));
  expect_corrupt("header");
  // Random garbage over a b-tree page in the middle.
  auto damaged = bytes;
  for (size_t i = size / 2; i < size / 2 + 4096; ++i) damaged[i] = static_cast<char>(i * 31);
  write(damaged);
  expect_corrupt("overwritten page");
  // Not SQLite at all; SQLite but not facet's.
  write(std::vector<char>(5000, 'x'));
  expect_corrupt("text");
  std::filesystem::remove(path_);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA application_id = 7", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);  // sqlite3_open made it 0666 minus the umask
  expect_corrupt("foreign sqlite");
  // A store from a newer facet.
  write(bytes);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(OpenStore({.location = path_}).status().code(), StatusCode::kFailedPrecondition);
}

// Issue 18: consent ids were reused after the newest consent's person was erased, so the
// consent_id of an audit entry was ambiguous.
TEST_F(StoreTest, ConsentIdsAreNeverReused) {
  auto store = Create();
  ASSERT_NE(store, nullptr);
  int64_t erased_consent = 0;
  int64_t next_consent = 0;
  ASSERT_TRUE(store->Write([&](StoreTxn& txn) -> Status {
    GalleryRecord g;
    g.name = "office";
    g.purpose = "door";
    g.use = "identify";
    g.model = "m";
    g.model_version = "1";
    g.dimensions = 4;
    auto gallery = txn.InsertGallery(g);
    if (!gallery.ok()) return gallery.status();
    auto add = [&](const std::string& who) -> Result<int64_t> {
      PersonRecord person;
      person.gallery_id = gallery.value();
      person.person_id = who;
      person.uid = "u" + who;
      person.sealed_profile = std::vector<uint8_t>(10, 1);
      return txn.InsertPerson(person);
    };
    auto grant = [&](int64_t person) {
      ConsentRecord consent;
      consent.person_id = person;
      consent.granted_by = "someone";
      consent.scope = "identify";
      consent.purpose = "door";
      consent.granted_ms = 1;
      return txn.InsertConsent(consent);
    };
    auto a = add("a");
    auto b = add("b");
    if (!a.ok() || !b.ok()) return Status::Internal("persons");
    if (!grant(a.value()).ok()) return Status::Internal("grant a");
    auto of_b = grant(b.value());
    if (!of_b.ok()) return of_b.status();
    erased_consent = of_b.value();  // the newest consent: the one SQLite would hand out again
    FACET_RETURN_IF_ERROR(txn.DeletePerson(b.value()));
    auto again = grant(a.value());
    if (!again.ok()) return again.status();
    next_consent = again.value();
    return Status::Ok();
  }).ok());
  EXPECT_GT(next_consent, erased_consent) << "the erased person's consent id was given again";
  // The counter survives reopening.
  store.reset();
  auto reopened = OpenStore({.location = path_});
  ASSERT_TRUE(reopened.ok());
  ASSERT_TRUE((*reopened)->Read([&](StoreTxn& txn) -> Status {
    auto last = txn.GetMeta("consent_id_last");
    if (!last.ok()) return last.status();
    EXPECT_EQ(last->value_or(""), std::to_string(next_consent));
    return Status::Ok();
  }).ok());
}

// The mode bits of `path` other than the file type, or -1 when absent.
int ModeOf(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 07777) : -1;
}

TEST_F(StoreTest, FilesArePrivateWhateverTheUmask) {
  const mode_t saved = ::umask(0);  // the loosest: open() would keep every bit asked for
  auto store = Create();
  ::umask(saved);
  ASSERT_NE(store, nullptr);
  Populate(*store);  // in WAL mode: the -wal and -shm files exist while the store is open
  EXPECT_EQ(ModeOf(path_), 0600);
  EXPECT_EQ(ModeOf(path_ + "-wal"), 0600);
  EXPECT_EQ(ModeOf(path_ + "-shm"), 0600);
  EXPECT_TRUE(CheckPrivateStoreFiles(path_).ok());
}

TEST_F(StoreTest, LooseFilesAreReportedAndRefused) {
  Create().reset();
  ASSERT_TRUE(OpenStore({.location = path_}).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto refused = OpenStore({.location = path_});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(path_ + " (mode 0644)"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("chmod 600"), std::string::npos);
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  // A loose -wal file (left by an older facet) is named too.
  std::ofstream(path_ + "-wal").close();
  ASSERT_EQ(::chmod((path_ + "-wal").c_str(), 0640), 0);
  const Status wal = CheckPrivateStoreFiles(path_);
  EXPECT_EQ(wal.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wal.message().find(path_ + "-wal (mode 0640)"), std::string::npos) << wal.message();
  EXPECT_EQ(wal.message().find(path_ + " (mode"), std::string::npos) << wal.message();
  std::filesystem::remove(path_ + "-wal");
  EXPECT_TRUE(OpenStore({.location = path_}).ok());
}

}  // namespace
}  // namespace facet::store
