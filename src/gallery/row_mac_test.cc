// Tamper-evident rows (issue 18): every gallery, person, consent and face row carries a MAC; a
// row changed, swapped or copied in the store file (by someone without the master key) fails
// closed with kStoreCorrupt naming it, and CheckRows lists every bad row. A consent's grantor,
// purpose and evidence and a face's source hash are sealed, never in the clear.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "facet/gallery.h"
#include "gallery/gallery_test_fixture.h"

namespace facet {
namespace {

using testing::GalleryTest;
using testing::HashOf;

std::string ReadStoreFiles(const std::string& path) {
  std::string out;
  for (const std::string& file : {path, path + "-wal"}) {
    std::ifstream in(file, std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST_F(GalleryTest, AnUntouchedStoreChecksClean) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 2);
  AddConsentedPerson("office", "bob", 1, 1);
  auto report = galleries_->CheckRows();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  // 1 gallery, 2 persons, 2 consents, 3 faces.
  EXPECT_EQ(report->rows_checked, 8);
}

// The review's attack: remove a consent's expiry and change its grantor in the file. Before row
// MACs, `consent list` showed the forged values and identify kept finding the person past the
// expiry. Now every read of the row fails closed, and so does identify's lapse check.
TEST_F(GalleryTest, AConsentEditedInTheFileFailsClosed) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1, clock_.Now() + std::chrono::hours(24));
  AddConsentedPerson("office", "bob", 1, 1);
  galleries_.reset();
  Sql("UPDATE consents SET expires_ms = NULL WHERE person_id = (SELECT id FROM persons WHERE "
      "person_id = 'amy')");
  galleries_ = Galleries::Open(options_).value();
  clock_.Advance(std::chrono::hours(48));  // past the consented expiry
  auto listed = galleries_->ListConsents("office", "amy");
  EXPECT_EQ(listed.status().code(), StatusCode::kStoreCorrupt) << listed.status().ToString();
  EXPECT_NE(listed.status().message().find("consents row"), std::string::npos);
  EXPECT_NE(listed.status().message().find("changed outside facet"), std::string::npos);
  auto found =
      galleries_->Identify("office", std::vector<Embedding>{people_.Face(0)}, {"door-1", "entry"});
  EXPECT_EQ(found.status().code(), StatusCode::kStoreCorrupt)
      << "identify must not run past a consent it cannot check";
  auto report = galleries_->CheckRows();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find("consents row"), std::string::npos) << report->problems[0];
}

TEST_F(GalleryTest, RowsChangedSwappedOrCopiedAreEachListed) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  AddConsentedPerson("office", "bob", 1, 1);
  galleries_.reset();
  // A looser threshold for the gallery; Amy's and Bob's keys swapped; Amy's consent copied to a
  // new row of Bob's; a face moved from Amy to Bob.
  Sql("UPDATE galleries SET threshold = -1;"
      "CREATE TEMP TABLE keys AS SELECT id, wrapped_key FROM persons;"
      "UPDATE persons SET wrapped_key = (SELECT wrapped_key FROM keys k WHERE k.id != "
      "persons.id);"
      "INSERT INTO consents(id, person_id, granted_by, scope, purpose, evidence, granted_ms, "
      "sealed_details, mac) SELECT 1000, (SELECT id FROM persons WHERE person_id = 'bob'), "
      "granted_by, scope, purpose, evidence, granted_ms, sealed_details, mac FROM consents "
      "WHERE person_id = (SELECT id FROM persons WHERE person_id = 'amy');");
  galleries_ = Galleries::Open(options_).value();
  auto report = galleries_->CheckRows();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::string all;
  for (const std::string& p : report->problems) all += p + "\n";
  EXPECT_EQ(report->problems.size(), 4u) << all;  // gallery, 2 persons, the copied consent
  EXPECT_NE(all.find("galleries row"), std::string::npos) << all;
  EXPECT_NE(all.find("persons row"), std::string::npos) << all;
  EXPECT_NE(all.find("consents row 1000"), std::string::npos) << all;
  auto found =
      galleries_->Identify("office", std::vector<Embedding>{people_.Face(0)}, {"door-1", "entry"});
  EXPECT_EQ(found.status().code(), StatusCode::kStoreCorrupt) << found.status().ToString();
}

TEST_F(GalleryTest, AFaceMovedToAnotherPersonIsSkippedAndListed) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  AddConsentedPerson("office", "bob", 1, 2);
  galleries_.reset();
  Sql("UPDATE faces SET person_id = (SELECT id FROM persons WHERE person_id = 'amy') WHERE id = "
      "(SELECT max(id) FROM faces)");
  galleries_ = Galleries::Open(options_).value();
  const Identification bob = IdentifyOne("office", people_.Face(1));
  EXPECT_EQ(bob.person_id, "bob") << "Bob's other face still identifies him";
  EXPECT_EQ(bob.damaged_faces_skipped, 1);
  auto report = galleries_->CheckRows();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find("faces row"), std::string::npos) << report->problems[0];
}

TEST_F(GalleryTest, AClearedMacIsAProblemAndRemovingTheMarkerDoesNotReadoptRows) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1, clock_.Now() + std::chrono::hours(24));
  galleries_.reset();
  // The attacker clears the MAC of the edited row and the marker that says rows carry MACs,
  // hoping the next open adopts the forged row as a store from before row MACs.
  Sql("UPDATE consents SET expires_ms = NULL, mac = NULL; DELETE FROM meta WHERE key = "
      "'row_macs';");
  galleries_ = Galleries::Open(options_).value();
  auto listed = galleries_->ListConsents("office", "amy");
  EXPECT_EQ(listed.status().code(), StatusCode::kStoreCorrupt);
  EXPECT_NE(listed.status().message().find("has no MAC"), std::string::npos)
      << listed.status().ToString();
}

// Erasure is never blocked by a damaged row: a person whose rows were edited is still erased
// (key destroyed, faces and rows deleted), and the audit entry says what was damaged; so is a
// gallery whose own row was edited.
TEST_F(GalleryTest, DamagedRowsDoNotBlockErasure) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 2);
  AddConsentedPerson("office", "bob", 1, 1);
  MakeGallery("lobby");
  AddConsentedPerson("lobby", "cy", 2, 1);
  galleries_.reset();
  Sql("UPDATE persons SET created_ms = created_ms + 1 WHERE person_id = 'amy';"
      "UPDATE faces SET quality = 'low' WHERE person_id = (SELECT id FROM persons WHERE "
      "person_id = 'bob');"
      "UPDATE galleries SET threshold = -1 WHERE name = 'lobby';");
  galleries_ = Galleries::Open(options_).value();
  ASSERT_EQ(galleries_->GetPerson("office", "amy").status().code(), StatusCode::kStoreCorrupt);
  for (const char* who : {"amy", "bob"}) {
    const Status erased = galleries_->ErasePerson("office", who, admin_);
    EXPECT_TRUE(erased.ok()) << who << ": " << erased.ToString();
    const auto entries = galleries_->ReadAudit(1, 1000).value();
    EXPECT_EQ(entries.back().action, "person_erase");
    EXPECT_NE(entries.back().details.find("store_corrupt"), std::string::npos)
        << entries.back().details;
  }
  EXPECT_EQ(galleries_->GetPerson("office", "amy").status().code(), StatusCode::kNotFound);
  const Status deleted = galleries_->DeleteGallery("lobby", admin_);
  EXPECT_TRUE(deleted.ok()) << deleted.ToString();
  auto report = galleries_->CheckRows();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  EXPECT_EQ(report->rows_checked, 1) << "only the office gallery's row is left";
  EXPECT_TRUE(galleries_->VerifyAudit()->intact);
}

TEST_F(GalleryTest, ConsentDetailsAndSourceHashesAreSealed) {
  MakeGallery("office");
  ASSERT_TRUE(galleries_->AddPerson("office", {"p1", "", ""}, admin_).ok());
  ConsentSpec consent{"p1", ConsentScope::kIdentify, "door access for Qwerty", std::nullopt,
                      "form-Zyxwv-0042"};
  consent.granted_by = "Grantor Uvwxyz";
  ASSERT_TRUE(galleries_->GrantConsent("office", "p1", consent, admin_).ok());
  Enroll("office", "p1", people_.Face(0), 77);
  auto consents = galleries_->ListConsents("office", "p1");
  ASSERT_TRUE(consents.ok()) << consents.status().ToString();
  ASSERT_EQ(consents->size(), 1u);
  EXPECT_EQ(consents->front().granted_by, "Grantor Uvwxyz");
  EXPECT_EQ(consents->front().evidence, "form-Zyxwv-0042");
  auto faces = galleries_->ListFaces("office", "p1");
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(faces->size(), 1u);
  EXPECT_EQ(faces->front().source_sha256, HashOf(77));
  galleries_.reset();
  const std::string file = ReadStoreFiles(options_.store);
  EXPECT_EQ(file.find("Uvwxyz"), std::string::npos) << "grantor in the clear";
  EXPECT_EQ(file.find("Zyxwv"), std::string::npos) << "evidence in the clear";
  EXPECT_EQ(file.find(HashOf(77)), std::string::npos) << "source SHA-256 in the clear";
}

}  // namespace
}  // namespace facet
