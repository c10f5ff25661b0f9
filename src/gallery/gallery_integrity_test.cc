// The gallery layer against a store edited outside facet (issue 18): damaged rows fail closed
// and are reported, the audit log's anchors and append-only guards, reserved gallery names.
#include <gtest/gtest.h>

#include <string>

#include "facet/gallery.h"
#include "gallery/gallery_test_fixture.h"

namespace facet {
namespace {

using testing::GalleryTest;
using testing::TestRecognizer;

TEST_F(GalleryTest, DotNamesAreRefused) {
  for (const char* name : {".", ".."}) {
    GallerySpec spec;
    spec.name = name;
    spec.purpose = "office door";
    const auto info = galleries_->CreateGallery(spec, TestRecognizer(), admin_);
    EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(info.status().message().find("reserved"), std::string::npos) << name;
  }
  GallerySpec dotted;
  dotted.name = "a.b";
  dotted.purpose = "office door";
  EXPECT_TRUE(galleries_->CreateGallery(dotted, TestRecognizer(), admin_).ok());
}

// Issue 18: one damaged template made identify fail for the whole gallery (and HTTP blamed the
// image). Now the damaged face is left out (fail closed for its person), every result says so,
// the audit entry names the face, and 1:1 verification of that person fails with kStoreCorrupt.
TEST_F(GalleryTest, ADamagedTemplateIsSkippedReportedAndAudited) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  AddConsentedPerson("office", "bob", 1, 1);
  ASSERT_TRUE(IdentifyOne("office", people_.Face(1)).known());
  galleries_.reset();
  // Amy's template copied over Bob's (a swap): it is sealed to Amy's person, so it does not open.
  Sql("UPDATE faces SET sealed_template = (SELECT f.sealed_template FROM faces f JOIN persons p "
      "ON f.person_id = p.id WHERE p.person_id = 'amy') WHERE person_id = (SELECT id FROM "
      "persons WHERE person_id = 'bob')");
  galleries_ = Galleries::Open(options_).value();
  const Identification amy = IdentifyOne("office", people_.Face(0));
  EXPECT_EQ(amy.person_id, "amy");
  EXPECT_EQ(amy.damaged_faces_skipped, 1);
  const Identification bob = IdentifyOne("office", people_.Face(1));
  EXPECT_FALSE(bob.known()) << "a damaged row must not identify anyone";
  EXPECT_EQ(bob.damaged_faces_skipped, 1);
  const auto entries = galleries_->ReadAudit(1, 1000).value();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().action, "identify");
  EXPECT_NE(entries.back().details.find("store_corrupt"), std::string::npos)
      << entries.back().details;
  EXPECT_NE(entries.back().details.find("store integrity"), std::string::npos);
  auto verified = galleries_->Verify("office", "bob", people_.Face(1), {"door-1", "entry"});
  EXPECT_EQ(verified.status().code(), StatusCode::kStoreCorrupt) << verified.status().ToString();
  EXPECT_NE(verified.status().message().find("store integrity"), std::string::npos);
  EXPECT_TRUE(galleries_->Verify("office", "amy", people_.Face(0), {"door-1", "entry"}).ok());
}

// Issue 18: the log cut back to an older head (with that head's record written back) verifies on
// its own; an anchor taken before the cut shows it. Dropped triggers alone are reported too.
TEST_F(GalleryTest, AuditAnchorCatchesACutBackLogAndDroppedTriggersAreReported) {
  MakeGallery("office");
  AddConsentedPerson("office", "amy", 0, 1);
  galleries_.reset();
  Sql("CREATE TABLE old_head AS SELECT key, value FROM meta WHERE key LIKE 'audit_head_%'");
  galleries_ = Galleries::Open(options_).value();
  const int64_t old_count = galleries_->VerifyAudit()->entries;
  IdentifyOne("office", people_.Face(0));
  IdentifyOne("office", people_.Face(0));
  auto anchor = galleries_->AnchorAudit();
  ASSERT_TRUE(anchor.ok()) << anchor.status().ToString();
  EXPECT_EQ(anchor->count, old_count + 2);
  auto parsed = ParseAuditAnchor(FormatAuditAnchor(anchor.value()));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(galleries_->VerifyAudit(parsed.value())->intact);

  // Cut the two identifications and write the old head back, triggers restored afterwards.
  galleries_.reset();
  Sql("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
      "DELETE FROM audit WHERE seq > " + std::to_string(old_count) + ";"
      "UPDATE meta SET value = (SELECT value FROM old_head WHERE old_head.key = meta.key) "
      "WHERE key LIKE 'audit_head_%'; DROP TABLE old_head;"
      "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;"
      "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'x'); END;");
  galleries_ = Galleries::Open(options_).value();
  auto alone = galleries_->VerifyAudit();
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE(alone->intact) << "the cut is invisible without an anchor: " << alone->problem;
  auto anchored = galleries_->VerifyAudit(parsed.value());
  ASSERT_TRUE(anchored.ok());
  EXPECT_FALSE(anchored->intact);
  EXPECT_EQ(anchored->first_bad_seq, old_count + 1);
  EXPECT_NE(anchored->problem.find("cut back"), std::string::npos) << anchored->problem;

  // Dropping a trigger and nothing else.
  galleries_.reset();
  Sql("DROP TRIGGER audit_no_delete");
  galleries_ = Galleries::Open(options_).value();
  auto dropped = galleries_->VerifyAudit();
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(dropped->intact);
  EXPECT_NE(dropped->problem.find("audit_no_delete"), std::string::npos) << dropped->problem;
  EXPECT_EQ(galleries_->AnchorAudit().status().code(), StatusCode::kCorruptData)
      << "no anchor of a log that does not verify";
}

}  // namespace
}  // namespace facet
