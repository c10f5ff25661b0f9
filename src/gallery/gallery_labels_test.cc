// The labels of galleries and faces (Azure Face's name, userData, recognitionModel): kept,
// updated, audited without their text, sealed in the store, shredded with the person, and a
// store of schema version 1 opened by this code keeps its people.
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "gallery/gallery_test_fixture.h"

namespace facet::testing {
namespace {

// Every audit entry, oldest first.
std::vector<AuditEntry> AllAudit(Galleries& galleries) {
  auto entries = galleries.ReadAudit(1, 100000);
  EXPECT_TRUE(entries.ok()) << entries.status().ToString();
  return entries.ok() ? std::move(entries).value() : std::vector<AuditEntry>{};
}

bool AuditMentions(Galleries& galleries, const std::string& text) {
  for (const AuditEntry& e : AllAudit(galleries)) {
    const std::string all = e.actor + e.action + e.gallery + e.purpose + e.subjects + e.details;
    if (all.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_F(GalleryTest, LabelsOfAGalleryAreKeptUpdatedAndAuditedWithoutTheirText) {
  GallerySpec spec;
  spec.name = "family";
  spec.purpose = "photo library";
  spec.display_name = "My Family";
  spec.user_data = "{\"owner\": \"Zelda\"}\nsecond line";
  spec.requested_model = "recognition_04";
  auto created = galleries_->CreateGallery(spec, TestRecognizer(), admin_);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->display_name, "My Family");
  EXPECT_EQ(created->user_data, spec.user_data);
  EXPECT_EQ(created->requested_model, "recognition_04");
  EXPECT_EQ(created->recognizer.name, TestRecognizer().name);
  MakeGallery("plain");  // no labels: all empty
  auto plain = galleries_->GetGallery("plain");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->display_name, "");
  EXPECT_EQ(plain->user_data, "");
  EXPECT_EQ(plain->requested_model, "");

  // Only the fields given change.
  auto renamed = galleries_->UpdateGallery("family", {.display_name = "Our Family"}, admin_);
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->display_name, "Our Family");
  EXPECT_EQ(renamed->user_data, spec.user_data);
  auto cleared = galleries_->UpdateGallery("family", {.user_data = ""}, admin_);
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->display_name, "Our Family");
  EXPECT_EQ(cleared->user_data, "");
  EXPECT_EQ(cleared->requested_model, "recognition_04");

  // The labels survive a reopen of the store.
  galleries_.reset();
  auto reopened = Galleries::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  galleries_ = std::move(reopened).value();
  auto listed = galleries_->ListGalleries();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "family");
  EXPECT_EQ((*listed)[0].display_name, "Our Family");

  const std::vector<AuditEntry> entries = AllAudit(*galleries_);
  ASSERT_FALSE(entries.empty());
  int updates = 0;
  for (const AuditEntry& e : entries) {
    if (e.action != "gallery_update") continue;
    ++updates;
    EXPECT_EQ(e.gallery, "family");
    const auto details = nlohmann::json::parse(e.details);
    EXPECT_TRUE(details["fields"].is_array()) << e.details;
  }
  EXPECT_EQ(updates, 2);
  EXPECT_FALSE(AuditMentions(*galleries_, "Family"));
  EXPECT_FALSE(AuditMentions(*galleries_, "Zelda"));
  EXPECT_TRUE(galleries_->VerifyAudit().ok());
}

TEST_F(GalleryTest, BadLabelsAreRefused) {
  GallerySpec spec;
  spec.name = "g";
  spec.purpose = "door";
  spec.display_name = std::string(kMaxGalleryDisplayName + 1, 'a');
  EXPECT_EQ(galleries_->CreateGallery(spec, TestRecognizer(), admin_).status().code(),
            StatusCode::kInvalidArgument);
  spec.display_name = "  ";
  EXPECT_EQ(galleries_->CreateGallery(spec, TestRecognizer(), admin_).status().code(),
            StatusCode::kInvalidArgument);
  spec.display_name = "";
  spec.user_data = std::string(kMaxGalleryUserData + 1, 'a');
  EXPECT_EQ(galleries_->CreateGallery(spec, TestRecognizer(), admin_).status().code(),
            StatusCode::kInvalidArgument);
  spec.user_data = "\xff\xfe";
  EXPECT_EQ(galleries_->CreateGallery(spec, TestRecognizer(), admin_).status().code(),
            StatusCode::kInvalidArgument);
  spec.user_data = "";
  spec.requested_model = std::string(kMaxRequestedModel + 1, 'a');
  EXPECT_EQ(galleries_->CreateGallery(spec, TestRecognizer(), admin_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(galleries_->UpdateGallery("missing", {.display_name = "x"}, admin_).status().code(),
            StatusCode::kNotFound);
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  auto faces = galleries_->ListFaces("office", "amy");
  ASSERT_TRUE(faces.ok() && faces->size() == 1);
  const int64_t face = faces->front().face_id;
  EXPECT_EQ(
      galleries_->UpdateFace("office", "amy", face, std::string(kMaxFaceUserData + 1, 'x'), admin_)
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(galleries_->UpdateFace("office", "amy", face + 1000, "x", admin_).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(galleries_->GetFace("office", "amy", face + 1000).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(galleries_->GetFace("office", "nobody", face).status().code(), StatusCode::kNotFound);
}

TEST_F(GalleryTest, AFaceKeepsItsUserDataUntilThePersonIsShredded) {
  MakeGallery("office");
  ASSERT_TRUE(galleries_->AddPerson("office", {"amy", "Amy", ""}, admin_).ok());
  ASSERT_TRUE(galleries_
                  ->GrantConsent("office", "amy",
                                 {"amy", ConsentScope::kIdentify, "door", std::nullopt, ""}, admin_)
                  .ok());
  EnrollRequest request;
  request.gallery = "office";
  request.person_id = "amy";
  request.embedding = people_.Face(0);
  request.quality = QualityLevel::kHigh;
  request.source_sha256 = HashOf(1);
  request.user_data = "badge photo, Zelda's camera";
  auto enrolled = galleries_->Enroll(request, admin_);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
  EXPECT_EQ(enrolled->user_data, request.user_data);
  // The same image again is a duplicate: the stored face is answered, its user data unchanged.
  request.user_data = "another text";
  auto again = galleries_->Enroll(request, admin_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->face_id, enrolled->face_id);
  EXPECT_EQ(again->user_data, "badge photo, Zelda's camera");
  request.source_sha256 = HashOf(2);
  request.user_data = "";
  auto second = galleries_->Enroll(request, admin_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->user_data, "");

  auto got = galleries_->GetFace("office", "amy", enrolled->face_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->user_data, "badge photo, Zelda's camera");
  auto updated = galleries_->UpdateFace("office", "amy", second->face_id, "side view", admin_);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->user_data, "side view");
  auto listed = galleries_->ListFaces("office", "amy");
  ASSERT_TRUE(listed.ok() && listed->size() == 2);
  EXPECT_EQ((*listed)[0].user_data, "badge photo, Zelda's camera");
  EXPECT_EQ((*listed)[1].user_data, "side view");
  EXPECT_EQ(IdentifyOne("office", people_.Face(0)).person_id, "amy");  // the index is untouched

  // In the person's export; in the audit log only as the face's id.
  auto exported = galleries_->ExportPerson("office", "amy", {"admin", "access request"});
  ASSERT_TRUE(exported.ok());
  const auto document = nlohmann::json::parse(exported.value());
  EXPECT_EQ(document["faces"][0]["user_data"], "badge photo, Zelda's camera");
  EXPECT_EQ(document["faces"][1]["user_data"], "side view");
  bool audited = false;
  for (const AuditEntry& e : AllAudit(*galleries_)) {
    if (e.action != "face_update") continue;
    audited = true;
    EXPECT_EQ(nlohmann::json::parse(e.details)["face_id"], second->face_id);
  }
  EXPECT_TRUE(audited);
  EXPECT_FALSE(AuditMentions(*galleries_, "side view"));
  EXPECT_FALSE(AuditMentions(*galleries_, "Zelda"));

  // Revoking the last consent shreds the faces, their user data with them.
  auto consents = galleries_->ListConsents("office", "amy");
  ASSERT_TRUE(consents.ok() && consents->size() == 1);
  ASSERT_TRUE(
      galleries_->RevokeConsent("office", "amy", consents->front().consent_id, admin_).ok());
  EXPECT_EQ(galleries_->GetFace("office", "amy", enrolled->face_id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(galleries_->UpdateFace("office", "amy", enrolled->face_id, "x", admin_).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(galleries_->VerifyAudit().ok());
}

// SQLite only (it reads the file): the labels are sealed, never in the clear.
TEST_F(GalleryTest, LabelsAreNotInTheStoreFileInTheClear) {
  GallerySpec spec;
  spec.name = "family";
  spec.purpose = "photo library";
  spec.display_name = "Quintessa Family";
  spec.user_data = "Yolanda owns it";
  ASSERT_TRUE(galleries_->CreateGallery(spec, TestRecognizer(), admin_).ok());
  ASSERT_TRUE(galleries_->AddPerson("family", {"p1", "", ""}, admin_).ok());
  ASSERT_TRUE(galleries_
                  ->GrantConsent("family", "p1",
                                 {"p1", ConsentScope::kIdentify, "door", std::nullopt, ""}, admin_)
                  .ok());
  EnrollRequest request;
  request.gallery = "family";
  request.person_id = "p1";
  request.embedding = people_.Face(0);
  request.quality = QualityLevel::kHigh;
  request.source_sha256 = HashOf(1);
  request.user_data = "Xanthippe took it";
  ASSERT_TRUE(galleries_->Enroll(request, admin_).ok());
  galleries_.reset();
  std::ifstream in(options_.store, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ifstream wal(options_.store + "-wal", std::ios::binary);
  file += std::string((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file.find("Quintessa"), std::string::npos);
  EXPECT_EQ(file.find("Yolanda"), std::string::npos);
  EXPECT_EQ(file.find("Xanthippe"), std::string::npos);
}

// SQLite only (it edits the file): a label blob copied to another row does not open there; the
// gallery or face fails closed (kCorruptData), never read as empty or as the other row's.
TEST_F(GalleryTest, LabelsCopiedToAnotherRowDoNotOpen) {
  for (const char* name : {"a", "b"}) {
    GallerySpec spec;
    spec.name = name;
    spec.purpose = "door";
    spec.display_name = std::string("Group ") + name;
    ASSERT_TRUE(galleries_->CreateGallery(spec, TestRecognizer(), admin_).ok());
  }
  ASSERT_TRUE(galleries_->AddPerson("a", {"amy", "", ""}, admin_).ok());
  ASSERT_TRUE(galleries_
                  ->GrantConsent("a", "amy",
                                 {"amy", ConsentScope::kIdentify, "door", std::nullopt, ""}, admin_)
                  .ok());
  for (int i = 0; i < 2; ++i) {
    EnrollRequest request;
    request.gallery = "a";
    request.person_id = "amy";
    request.embedding = people_.Face(0);
    request.quality = QualityLevel::kHigh;
    request.source_sha256 = HashOf(i);
    request.user_data = "face " + std::to_string(i);
    ASSERT_TRUE(galleries_->Enroll(request, admin_).ok());
  }
  galleries_.reset();
  Sql("UPDATE galleries SET sealed_profile = (SELECT sealed_profile FROM galleries WHERE "
      "name = 'a') WHERE name = 'b'; UPDATE faces SET sealed_user_data = (SELECT "
      "sealed_user_data FROM faces ORDER BY id LIMIT 1) WHERE id = (SELECT max(id) FROM faces)");
  auto reopened = Galleries::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  galleries_ = std::move(reopened).value();
  // The copies are caught by the rows' MACs (kStoreCorrupt) before their seals are opened.
  EXPECT_EQ(galleries_->GetGallery("b").status().code(), StatusCode::kStoreCorrupt);
  auto intact = galleries_->GetGallery("a");  // the damage stays with its gallery
  ASSERT_TRUE(intact.ok()) << intact.status().ToString();
  EXPECT_EQ(intact->display_name, "Group a");
  EXPECT_EQ(galleries_->ListGalleries().status().code(), StatusCode::kStoreCorrupt);
  EXPECT_EQ(IdentifyOne("a", people_.Face(0)).person_id, "amy");  // search reads no label
  const Status faces = galleries_->ListFaces("a", "amy").status();
  EXPECT_EQ(faces.code(), StatusCode::kStoreCorrupt);
  EXPECT_NE(faces.message().find("faces row"), std::string::npos) << faces.ToString();
}

// SQLite only: a store written at schema version 1 by facet itself (tests/fixtures/store_v1,
// made by facet ebcbcc3 with its own test key: gallery "office", person "alice" with a consent
// and one face) opens, is migrated through versions 2 and 3 (its rows adopted with MACs), keeps
// its people and takes labels.
TEST_F(GalleryTest, AVersion1StoreIsMigratedAndKeepsItsPeople) {
  galleries_.reset();
  const std::string fixture = std::string(FACET_FIXTURE_DIR) + "/store_v1";
  options_.store = dir_ + "/v1.db";
  options_.key_file = dir_ + "/v1.key";
  for (const auto& [from, to] : {std::pair{fixture + "/store.db", options_.store},
                                 std::pair{fixture + "/master.key", options_.key_file}}) {
    std::filesystem::copy_file(from, to);
    std::filesystem::permissions(to, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  }
  auto reopened = Galleries::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  galleries_ = std::move(reopened).value();
  auto person = galleries_->GetPerson("office", "alice");
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  EXPECT_EQ(person->display_name, "Alice Fixture");
  EXPECT_EQ(person->faces, 1);
  auto labelled = galleries_->UpdateGallery("office", {.display_name = "Office"}, admin_);
  ASSERT_TRUE(labelled.ok()) << labelled.status().ToString();
  EXPECT_EQ(labelled->display_name, "Office");
  auto faces = galleries_->ListFaces("office", "alice");
  ASSERT_TRUE(faces.ok() && !faces->empty()) << faces.status().ToString();
  EXPECT_EQ(faces->front().user_data, "");
  ASSERT_TRUE(
      galleries_->UpdateFace("office", "alice", faces->front().face_id, "front", admin_).ok());
  auto report = galleries_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
  auto rows = galleries_->CheckRows();
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->problems.empty()) << rows->problems.front();
  EXPECT_TRUE(galleries_->CheckIntegrity().ok());
}

}  // namespace
}  // namespace facet::testing
