// The gallery rules end to end on synthetic templates: consent, identification, crypto-shredding,
// expiry with an injected clock, model mixing, export/erase, the audit chain, snapshots and
// several processes on one store.
#include "facet/gallery.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "facet/search.h"
#include "gallery/gallery_test_fixture.h"
#include "gallery/gallery_test_util.h"

namespace facet {
namespace {

using testing::FakeClock;
using testing::GalleryTest;
using testing::HashOf;
using testing::SyntheticPeople;
using testing::TestRecognizer;

constexpr auto kDay = std::chrono::hours(24);

TEST_F(GalleryTest, EnrollmentNeedsAValidConsentOfTheRightScope) {
  MakeGallery("office");
  ASSERT_TRUE(galleries_->AddPerson("office", {"amy", "Amy", ""}, admin_).ok());
  EnrollRequest request{"office", "amy", people_.Face(0), QualityLevel::kHigh, HashOf(1), {}};
  auto refused = galleries_->Enroll(request, admin_);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("consent"), std::string::npos);
  // A verify-scope consent does not cover an identify gallery.
  ASSERT_TRUE(galleries_->GrantConsent("office", "amy",
                                       {"amy", ConsentScope::kVerify, "door", std::nullopt, ""},
                                       admin_)
                  .ok());
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kFailedPrecondition);
  auto consent = galleries_->GrantConsent(
      "office", "amy", {"amy", ConsentScope::kIdentify, "door", std::nullopt, ""}, admin_);
  ASSERT_TRUE(consent.ok());
  auto enrolled = galleries_->Enroll(request, admin_);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
  EXPECT_FALSE(enrolled->duplicate);
  // The same source image again adds nothing.
  auto again = galleries_->Enroll(request, admin_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->face_id, enrolled->face_id);
  EXPECT_EQ(galleries_->ListFaces("office", "amy")->size(), 1u);
  // Unknown person, unknown gallery, missing actor.
  request.person_id = "bob";
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kNotFound);
  request.gallery = "nowhere";
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kNotFound);
  request = {"office", "amy", people_.Face(0), QualityLevel::kHigh, HashOf(2), {}};
  EXPECT_EQ(galleries_->Enroll(request, {"", ""}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(GalleryTest, MixingModelsIsAnError) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  Embedding other = people_.Face(0);
  other.model = "dlib_resnet";
  EnrollRequest request{"office", "amy", other, QualityLevel::kHigh, HashOf(9), {}};
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kInvalidArgument);
  request.embedding = people_.Face(0);
  request.embedding.model_version = "testnet@2.0";
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kInvalidArgument);
  request.embedding = people_.Face(0);
  request.embedding.values.resize(128);
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(galleries_->Identify("office", std::vector<Embedding>{other}, {"a", "b"})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GalleryTest, IdentifiesEnrolledPeopleAndStrangersAreUnknown) {
  MakeGallery("office");
  for (int p = 0; p < 20; ++p) AddConsentedPerson("office", "person" + std::to_string(p), p, 3);
  for (int p = 0; p < 20; ++p) {
    const Identification id = IdentifyOne("office", people_.Face(p));
    EXPECT_EQ(id.person_id, "person" + std::to_string(p));
    ASSERT_FALSE(id.candidates.empty());
    EXPECT_GT(id.candidates[0].confidence, 0.9f);
    EXPECT_GE(id.candidates[0].similarity, 0.53f);
  }
  for (int s = 0; s < 50; ++s) {
    const Identification id = IdentifyOne("office", people_.Stranger());
    EXPECT_FALSE(id.known());
    EXPECT_TRUE(id.candidates.empty()) << "a stranger must not get a nearest person";
  }
  // Identification needs a purpose and an identify gallery.
  EXPECT_EQ(galleries_->Identify("office", std::vector<Embedding>{people_.Face(0)}, {"door", ""})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  MakeGallery("verify-only", ConsentScope::kVerify);
  EXPECT_EQ(galleries_->Identify("verify-only", std::vector<Embedding>{people_.Face(0)},
                                 {"door", "entry"})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  const GalleryInfo info = galleries_->GetGallery("office").value();
  EXPECT_EQ(info.persons, 20);
  EXPECT_EQ(info.faces, 60);
  EXPECT_FLOAT_EQ(info.threshold, 0.53f);
}

TEST_F(GalleryTest, AnIdentificationRunSearchesAsIdentifyAndIsOneAuditEntry) {
  MakeGallery("office");
  for (int p = 0; p < 3; ++p) AddConsentedPerson("office", "person" + std::to_string(p), p, 2);
  EXPECT_EQ(galleries_->StartIdentification("office", {"cam", ""}, "redact").status().code(),
            StatusCode::kInvalidArgument);  // no purpose
  EXPECT_EQ(galleries_->StartIdentification("office", {"cam", " \t"}, "redact").status().code(),
            StatusCode::kInvalidArgument);  // only whitespace is no purpose
  EXPECT_EQ(galleries_->AddPerson("office", {.person_id = "blank", .display_name = "  "}, admin_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);  // nor a name
  EXPECT_EQ(galleries_->StartIdentification("nowhere", {"cam", "x"}, "redact").status().code(),
            StatusCode::kNotFound);
  const int64_t before = galleries_->VerifyAudit()->entries;
  {
    auto run = galleries_->StartIdentification("office", {"cam", "publish"}, "redact --keep");
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    for (int frame = 0; frame < 5; ++frame) {
      const std::vector<Embedding> probes{people_.Face(1), people_.Stranger()};
      auto found = (*run)->Identify(probes);
      ASSERT_TRUE(found.ok());
      EXPECT_EQ((*found)[0].person_id, "person1");
      EXPECT_FALSE((*found)[1].known());
    }
    EXPECT_EQ((*run)->probes(), 10);
    EXPECT_EQ((*run)->identified(), 5);
    ASSERT_TRUE((*run)->Finish().ok());
    EXPECT_TRUE((*run)->Finish().ok());  // once only
    EXPECT_EQ((*run)->Identify(std::vector<Embedding>{people_.Face(1)}).status().code(),
              StatusCode::kFailedPrecondition);
  }
  const auto report = galleries_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->entries, before + 1);
  const AuditEntry entry = galleries_->ReadAudit(report->entries, 1).value().at(0);
  EXPECT_EQ(entry.action, "identify");
  EXPECT_EQ(entry.purpose, "publish");
  EXPECT_NE(entry.details.find("\"probes\":10"), std::string::npos) << entry.details;
  EXPECT_NE(entry.details.find("\"identified\":5"), std::string::npos) << entry.details;
  EXPECT_NE(entry.details.find("\"completed\":true"), std::string::npos) << entry.details;
  EXPECT_EQ(entry.subjects.find(' '), std::string::npos);  // one person, named once
  // A run dropped unfinished is still audited, as cut short.
  { ASSERT_TRUE(galleries_->StartIdentification("office", {"cam", "x"}, "redact").ok()); }
  const AuditEntry last = galleries_->ReadAudit(report->entries + 1, 1).value().at(0);
  EXPECT_NE(last.details.find("\"completed\":false"), std::string::npos) << last.details;
}

TEST_F(GalleryTest, VerifyOneToOne) {
  MakeGallery("bank", ConsentScope::kVerify);
  AddConsentedPerson("bank", "amy", 0, 2, std::nullopt, ConsentScope::kVerify);
  AddConsentedPerson("bank", "bob", 1, 2, std::nullopt, ConsentScope::kVerify);
  auto same = galleries_->Verify("bank", "amy", people_.Face(0), {"teller", "account opening"});
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->same);
  auto other = galleries_->Verify("bank", "amy", people_.Face(1), {"teller", "account opening"});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->same);
  EXPECT_EQ(galleries_->Verify("bank", "amy", people_.Face(0), {"teller", ""}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GalleryTest, RevokingConsentShredsAtOnce) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 3);
  AddConsentedPerson("office", "bob", 1, 2);
  EXPECT_EQ(IdentifyOne("office", people_.Face(0)).person_id, "amy");
  const auto consents = galleries_->ListConsents("office", "amy").value();
  ASSERT_EQ(consents.size(), 1u);
  ASSERT_TRUE(galleries_->RevokeConsent("office", "amy", consents[0].consent_id, admin_).ok());
  // Gone from the index...
  EXPECT_FALSE(IdentifyOne("office", people_.Face(0)).known());
  EXPECT_EQ(IdentifyOne("office", people_.Face(1)).person_id, "bob");
  // ... and from the store: no faces, no data key (ciphertext anywhere is now undecryptable).
  const PersonInfo amy = galleries_->GetPerson("office", "amy").value();
  EXPECT_EQ(amy.faces, 0);
  EXPECT_FALSE(amy.has_data_key);
  EXPECT_FALSE(galleries_->ListConsents("office", "amy")->at(0).valid);
  // A fresh process sees the same.
  galleries_.reset();
  galleries_ = Galleries::Open(options_).value();
  EXPECT_FALSE(IdentifyOne("office", people_.Face(0)).known());
  // Enrolling again needs a new consent.
  EnrollRequest request{"office", "amy", people_.Face(0), QualityLevel::kHigh, HashOf(77), {}};
  EXPECT_EQ(galleries_->Enroll(request, admin_).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(galleries_->RevokeConsent("office", "amy", consents[0].consent_id, admin_).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(GalleryTest, ExpiredConsentsArePurgedByTheClock) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 2, clock_.Now() + 30 * kDay);
  AddConsentedPerson("office", "bob", 1, 2, clock_.Now() + 60 * kDay);
  AddConsentedPerson("office", "cid", 2, 2);  // no expiry
  EXPECT_EQ(IdentifyOne("office", people_.Face(0)).person_id, "amy");
  clock_.Advance(31 * kDay);
  // The next identification purges amy first, without any explicit call.
  EXPECT_FALSE(IdentifyOne("office", people_.Face(0)).known());
  EXPECT_EQ(IdentifyOne("office", people_.Face(1)).person_id, "bob");
  EXPECT_EQ(galleries_->GetPerson("office", "amy")->faces, 0);
  // A renewed consent before expiry keeps a person.
  ASSERT_TRUE(galleries_->GrantConsent("office", "bob",
                                       {"bob", ConsentScope::kIdentify, "door",
                                        clock_.Now() + 365 * kDay, ""},
                                       admin_)
                  .ok());
  clock_.Advance(60 * kDay);
  EXPECT_EQ(IdentifyOne("office", people_.Face(1)).person_id, "bob");
  EXPECT_EQ(IdentifyOne("office", people_.Face(2)).person_id, "cid");
  // Explicit purge (a service's timer) and the audit trail of the expiry.
  clock_.Advance(400 * kDay);
  auto purged = galleries_->PurgeExpired({"timer", ""});
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged.value(), 1);
  EXPECT_EQ(galleries_->GetPerson("office", "bob")->faces, 0);
  const auto entries = galleries_->ReadAudit(1, 1000).value();
  const auto expired = std::count_if(entries.begin(), entries.end(), [](const AuditEntry& e) {
    return e.action == "consent_expired";
  });
  EXPECT_EQ(expired, 2);
  // Consents cannot be granted already expired.
  EXPECT_EQ(galleries_
                ->GrantConsent("office", "cid",
                               {"cid", ConsentScope::kIdentify, "door", clock_.Now() - kDay, ""},
                               admin_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GalleryTest, ExportHoldsEverythingAndEraseRemovesIt) {
  GallerySpec spec{"family", "photo library", ConsentScope::kIdentify, 1e-4, true};
  ASSERT_TRUE(galleries_->CreateGallery(spec, TestRecognizer(), admin_).ok());
  ASSERT_TRUE(galleries_->AddPerson("family", {"amy", "Amy Fowler", "ext-1"}, admin_).ok());
  ASSERT_TRUE(galleries_->GrantConsent("family", "amy",
                                       {"Amy Fowler", ConsentScope::kIdentify, "albums",
                                        std::nullopt, "sha256:abc"},
                                       admin_)
                  .ok());
  EnrollRequest request{"family", "amy", people_.Face(0), QualityLevel::kMedium, HashOf(5),
                        {1, 2, 3, 4}};
  ASSERT_TRUE(galleries_->Enroll(request, admin_).ok());
  IdentifyOne("family", people_.Face(0));
  EXPECT_EQ(galleries_->ExportPerson("family", "amy", {"dpo", ""}).status().code(),
            StatusCode::kInvalidArgument);  // export needs a purpose
  // Bytes that are not UTF-8 would make the audit log and the export unreadable as JSON (found
  // by the service fuzzer: "?purpose=x%B7"); well-formed UTF-8 in any script is fine.
  for (const char* bad : {"x\xb7", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_EQ(galleries_->ExportPerson("family", "amy", {"dpo", bad}).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  // Nor may it reorder the audit line it lands in (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-
  // RIGHT ISOLATE: found by a hostile-input sweep of the service); Arabic or Hebrew text is fine.
  for (const char* bad : {"audit \u202e", "\u202atext", "x\u2066y\u2069"}) {
    EXPECT_EQ(galleries_->ExportPerson("family", "amy", {"dpo", bad}).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  ASSERT_TRUE(galleries_->ExportPerson("family", "amy", {"dpo", "طلب الوصول, בקשה"}).ok());
  ASSERT_TRUE(
      galleries_->ExportPerson("family", "amy", {"dpo", "Zoë's request, 日本 🙂"}).ok());
  auto exported = galleries_->ExportPerson("family", "amy", {"dpo", "subject access request"});
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  const auto doc = nlohmann::json::parse(exported.value());
  EXPECT_EQ(doc["person"]["display_name"], "Amy Fowler");
  EXPECT_EQ(doc["person"]["external_ref"], "ext-1");
  EXPECT_EQ(doc["consents"].size(), 1u);
  EXPECT_EQ(doc["consents"][0]["evidence"], "sha256:abc");
  ASSERT_EQ(doc["faces"].size(), 1u);
  EXPECT_EQ(doc["faces"][0]["template"].size(), 192u);
  EXPECT_NEAR(doc["faces"][0]["template"][0].get<float>(), request.embedding.values[0], 1e-7);
  EXPECT_EQ(doc["faces"][0]["photo_base64"], "AQIDBA==");
  EXPECT_EQ(doc["faces"][0]["source_sha256"], HashOf(5));
  // The audit entries about amy: add, consent, enroll, identify.
  EXPECT_GE(doc["audit"].size(), 4u);
  const std::string uid = doc["person"]["uid"];
  ASSERT_TRUE(galleries_->ErasePerson("family", "amy", {"dpo", "erasure request"}).ok());
  EXPECT_EQ(galleries_->GetPerson("family", "amy").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(IdentifyOne("family", people_.Face(0)).known());
  // Nothing about amy is left in the store file but her pseudonymous uid in the audit log.
  galleries_.reset();
  std::ifstream in(options_.store, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file.find("Amy Fowler"), std::string::npos);
  EXPECT_EQ(file.find("amy"), std::string::npos);
  EXPECT_EQ(file.find("sha256:abc"), std::string::npos);
  EXPECT_NE(file.find(uid), std::string::npos);
}

TEST_F(GalleryTest, NoTemplateOrNameInTheClear) {
  MakeGallery("office");
  ASSERT_TRUE(galleries_->AddPerson("office", {"p1", "Zelda Secretname", ""}, admin_).ok());
  ASSERT_TRUE(galleries_->GrantConsent(
      "office", "p1", {"p1", ConsentScope::kIdentify, "door", std::nullopt, ""}, admin_).ok());
  const Embedding face = people_.Face(0);
  Enroll("office", "p1", face, 1);
  galleries_.reset();
  std::ifstream in(options_.store, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ifstream wal(options_.store + "-wal", std::ios::binary);
  file += std::string((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file.find("Zelda"), std::string::npos);
  const std::string raw(reinterpret_cast<const char*>(face.values.data()), 16);
  EXPECT_EQ(file.find(raw), std::string::npos) << "template bytes found in the clear";
}

TEST_F(GalleryTest, AuditVerifyDetectsTampering) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 2);
  IdentifyOne("office", people_.Face(0));
  auto report = galleries_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_GE(report->entries, 6);
  const auto entries = galleries_->ReadAudit(1, 100).value();
  for (const AuditEntry& e : entries) {
    // Never a template, a name or a person id: only uids.
    EXPECT_EQ(e.details.find("amy"), std::string::npos);
    EXPECT_EQ(e.subjects.find("amy"), std::string::npos);
  }
  galleries_.reset();
  Sql("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
      "UPDATE audit SET purpose = 'nothing to see' WHERE action = 'identify'");
  galleries_ = Galleries::Open(options_).value();
  report = galleries_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->intact);
  EXPECT_NE(report->problem.find("altered"), std::string::npos) << report->problem;
  galleries_.reset();
  Sql("DELETE FROM audit WHERE seq = 3");
  galleries_ = Galleries::Open(options_).value();
  report = galleries_->VerifyAudit();
  EXPECT_FALSE(report->intact);
  EXPECT_EQ(report->first_bad_seq, 4);
}



TEST_F(GalleryTest, WrongKeyAndMissingKeyAreClearErrors) {
  galleries_.reset();
  GalleriesOptions wrong = options_;
  wrong.key_file.clear();
  wrong.master_key_hex = std::string(64, '0');
  EXPECT_EQ(Galleries::Open(wrong).status().code(), StatusCode::kFailedPrecondition);
  wrong.master_key_hex.clear();
  EXPECT_EQ(Galleries::Open(wrong).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Galleries::Create(options_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(GalleryTest, SnapshotsAndPoliciesGiveTheSameAnswers) {
  // Force snapshots and each index kind on a small gallery.
  for (int kind = 0; kind < 3; ++kind) {
    SCOPED_TRACE("index kind " + std::to_string(kind));
    galleries_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.index.snapshot_min_faces = 1;
    options_.index.int8_min_faces = kind >= 1 ? 1 : 1'000'000;
    options_.index.hnsw_min_faces = kind >= 2 ? 1 : 1'000'000;
    galleries_ = Galleries::Create(options_).value();
    MakeGallery("office");
    for (int p = 0; p < 12; ++p) AddConsentedPerson("office", "p" + std::to_string(p), p, 2);
    EXPECT_EQ(IdentifyOne("office", people_.Face(3)).person_id, "p3");
    ASSERT_TRUE(galleries_->Flush().ok());
    const std::string snapshot = options_.store + ".index/gallery-1.fidx";
    ASSERT_TRUE(std::filesystem::exists(snapshot)) << kind;
    // A new process loads the snapshot; a change made meanwhile by another is picked up.
    auto other = Galleries::Open(options_).value();
    ASSERT_TRUE(other->ErasePerson("office", "p4", admin_).ok());
    EXPECT_FALSE(std::filesystem::exists(snapshot)) << "a snapshot may hold erased templates";
    AddConsentedPerson("office", "late", 40, 1);
    EXPECT_EQ(IdentifyOne("office", people_.Face(4)).person_id, "");
    EXPECT_EQ(IdentifyOne("office", people_.Face(40)).person_id, "late");
    auto found = other->Identify("office", std::vector<Embedding>{people_.Face(40), people_.Face(5)},
                                 {"door", "entry"});
    ASSERT_TRUE(found.ok());
    EXPECT_EQ((*found)[0].person_id, "late");
    EXPECT_EQ((*found)[1].person_id, "p5");
    other.reset();
    // A damaged snapshot is rebuilt from the store (the source of truth).
    ASSERT_TRUE(galleries_->Flush().ok());
    galleries_.reset();
    ASSERT_TRUE(std::filesystem::exists(snapshot));
    { std::ofstream(snapshot, std::ios::binary | std::ios::app) << "junk"; }
    galleries_ = Galleries::Open(options_).value();
    EXPECT_EQ(IdentifyOne("office", people_.Face(7)).person_id, "p7");
  }
}

TEST_F(GalleryTest, DeletingAGalleryErasesEveryone) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  ASSERT_TRUE(galleries_->DeleteGallery("office", admin_).ok());
  EXPECT_EQ(galleries_->GetGallery("office").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(galleries_->ListGalleries()->empty());
  MakeGallery("office");
  EXPECT_FALSE(IdentifyOne("office", people_.Face(0)).known());
  EXPECT_TRUE(galleries_->VerifyAudit()->intact);
}

TEST_F(GalleryTest, TimesFormatAndParse) {
  const TimePoint t = ParseTime("2027-01-31").value();
  EXPECT_EQ(FormatTime(t), "2027-01-31T00:00:00Z");
  EXPECT_EQ(FormatTime(ParseTime("2026-11-23T09:30:05.250Z").value()), "2026-11-23T09:30:05.250Z");
  EXPECT_FALSE(ParseTime("tomorrow").ok());
  EXPECT_FALSE(ParseTime("2026-11-23T09:30:05+02:00").ok());
  // Years TimePoint cannot hold are refused, not overflowed (found by the service fuzzer).
  EXPECT_EQ(ParseTime("5578-01-01").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTime("1969-12-31").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseTime("2200-12-31T23:59:59Z").ok());
  // A date or time that does not exist is refused, not moved on (2027-02-30 was stored as
  // 2027-03-02: found by a hostile-input sweep of the service), and fields have all their digits.
  EXPECT_EQ(FormatTime(ParseTime("2028-02-29").value()), "2028-02-29T00:00:00Z");
  EXPECT_EQ(FormatTime(ParseTime("2000-02-29").value()), "2000-02-29T00:00:00Z");
  for (const char* bad :
       {"2027-02-29", "2100-02-29", "2027-02-30", "2027-04-31", "2027-13-01", "2027-00-10",
        "2027-01-00", "2027-01-01T24:00:00Z", "2027-01-01T23:60:00Z", "2027-01-01T23:59:60Z",
        "2027-1-1", "2027-01-01T1:02:03Z", "+2027-01-01", "2027-01-01T", ""}) {
    EXPECT_EQ(ParseTime(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

TEST(SearchTest, FindSimilarRanksAboveTheThreshold) {
  testing::SyntheticPeople people(3);
  std::vector<Embedding> faces = {people.Face(0), people.Face(1), people.Face(0), people.Stranger()};
  const Embedding probe = people.Face(0);
  auto similar = FindSimilar(probe, faces, testing::TestRecognizer());
  ASSERT_TRUE(similar.ok()) << similar.status().ToString();
  ASSERT_EQ(similar->size(), 2u);
  EXPECT_TRUE(((*similar)[0].index == 0 && (*similar)[1].index == 2) ||
              ((*similar)[0].index == 2 && (*similar)[1].index == 0));
  EXPECT_GE((*similar)[0].similarity, (*similar)[1].similarity);
  auto all = FindSimilar(probe, faces, testing::TestRecognizer(), {.min_similarity = -1.0f});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  Embedding other = people.Face(1);
  other.model = "dlib_resnet";
  faces.push_back(other);
  EXPECT_EQ(FindSimilar(probe, faces, testing::TestRecognizer()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SearchTest, ClusterFacesGroupsPeopleAndAdaptsItsThreshold) {
  testing::SyntheticPeople people(4);
  std::vector<Embedding> faces;
  for (int round = 0; round < 4; ++round) {
    for (int p = 0; p < 6; ++p) faces.push_back(people.Face(p));
  }
  faces.push_back(people.Stranger());
  auto clustering = ClusterFaces(faces, testing::TestRecognizer());
  ASSERT_TRUE(clustering.ok()) << clustering.status().ToString();
  EXPECT_EQ(clustering->clusters, 7);
  for (size_t i = 0; i < 24; ++i) {
    for (size_t j = 0; j < 24; ++j) {
      EXPECT_EQ(clustering->labels[i] == clustering->labels[j], i % 6 == j % 6) << i << " " << j;
    }
  }
  EXPECT_EQ(clustering->labels.back(), 6);  // the stranger alone, the smallest cluster last
  // 25 faces: FMR 0.1/24 > 1e-3, the FMR-1e-3 threshold. 7,701 faces (LFW): FMR 1.3e-5,
  // 0.4507 + 0.0804 * (log10(7700 / 0.1) - 3) = 0.6023 for MobileFaceNet's calibration.
  EXPECT_FLOAT_EQ(clustering->threshold, 0.45f);
  std::vector<Embedding> many(7701, people.Face(0));
  const RecognizerInfo mobilefacenet{"testnet", "testnet@1.0", 192, 0.4507f, 0.5311f};
  auto big = ClusterFaces(many, mobilefacenet, {.max_iterations = 1});
  ASSERT_TRUE(big.ok());
  EXPECT_NEAR(big->threshold, 0.6023f, 5e-4);
  EXPECT_EQ(big->clusters, 1);
}

}  // namespace
}  // namespace facet
