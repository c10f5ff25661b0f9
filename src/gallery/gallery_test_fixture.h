// The fixture of the gallery tests (gallery_test.cc, gallery_integrity_test.cc): a fresh store
// and key in a temporary directory, an injected clock, synthetic people, and helpers that act as
// an administrator or, with Sql, as an attacker with write access to the store file.
#ifndef FACET_SRC_GALLERY_GALLERY_TEST_FIXTURE_H_
#define FACET_SRC_GALLERY_GALLERY_TEST_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facet/gallery.h"
#include "gallery/gallery_test_util.h"
#include "store/postgres/pg_test_util.h"

namespace facet::testing {

class GalleryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("facet_gallery_");
    options_.store = dir_ + "/store.db";
    if (!PostgresTestBase().empty()) {  // the "pg." run of these tests (issue 19)
      std::string error;
      options_.store = FreshPostgresStore(&error);
      if (options_.store.empty()) GTEST_SKIP() << "PostgreSQL unreachable: " << error;
    }
    options_.key_file = dir_ + "/master.key";
    options_.clock = clock_.AsFunction();
    auto created = Galleries::Create(options_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    galleries_ = std::move(created).value();
  }
  void TearDown() override {
    galleries_.reset();
    std::filesystem::remove_all(dir_);
  }

  void MakeGallery(const std::string& name, ConsentScope use = ConsentScope::kIdentify) {
    GallerySpec spec;
    spec.name = name;
    spec.purpose = "office door";
    spec.use = use;
    auto info = galleries_->CreateGallery(spec, TestRecognizer(), admin_);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }

  // Adds person `id` with a consent and `faces` enrolled faces of synthetic person `index`.
  void AddConsentedPerson(const std::string& gallery, const std::string& id, int index, int faces,
                          std::optional<TimePoint> expires = std::nullopt,
                          ConsentScope scope = ConsentScope::kIdentify) {
    ASSERT_TRUE(galleries_->AddPerson(gallery, {id, "Name of " + id, "ref-" + id}, admin_).ok());
    ConsentSpec consent{id, scope, "door access", expires, "sha256:form"};
    ASSERT_TRUE(galleries_->GrantConsent(gallery, id, consent, admin_).ok());
    for (int f = 0; f < faces; ++f) Enroll(gallery, id, people_.Face(index), index * 100 + f);
  }

  void Enroll(const std::string& gallery, const std::string& id, const Embedding& e, int hash) {
    EnrollRequest request;
    request.gallery = gallery;
    request.person_id = id;
    request.embedding = e;
    request.quality = QualityLevel::kHigh;
    request.source_sha256 = HashOf(hash);
    auto info = galleries_->Enroll(request, admin_);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }

  Identification IdentifyOne(const std::string& gallery, const Embedding& probe) {
    auto found = galleries_->Identify(gallery, std::vector<Embedding>{probe}, {"door-1", "entry"});
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? found->front() : Identification{};
  }

  // Runs SQL on the store file directly, as an attacker with file access would.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.store.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::string dir_;
  FakeClock clock_;
  GalleriesOptions options_;
  std::unique_ptr<Galleries> galleries_;
  SyntheticPeople people_{7};
  const AuditContext admin_{"admin", ""};
};

}  // namespace facet::testing

#endif  // FACET_SRC_GALLERY_GALLERY_TEST_FIXTURE_H_
