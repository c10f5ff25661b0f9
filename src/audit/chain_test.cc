#include "audit/chain.h"

#include <gtest/gtest.h>

#include <utility>

namespace facet::audit {
namespace {

AuditChain MakeChain() {
  auto key = crypto::SecretKey::FromHex(std::string(64, '1'));
  return AuditChain(std::move(key).value(), "store-uid");
}

std::vector<AuditEntry> MakeLog(const AuditChain& chain, int n) {
  std::vector<AuditEntry> log;
  for (int i = 0; i < n; ++i) {
    AuditEntry e;
    e.time = FromUnixMillis(1'700'000'000'000 + i);
    e.actor = "tester";
    e.action = i % 2 == 0 ? "enroll" : "identify";
    e.gallery = "office";
    e.purpose = "door";
    e.subjects = "p_" + std::to_string(i);
    e.details = "{\"n\":" + std::to_string(i) + "}";
    chain.Link(log.empty() ? nullptr : &log.back(), &e);
    log.push_back(e);
  }
  return log;
}

AuditReport Verify(const AuditChain& chain, const std::vector<AuditEntry>& log, int64_t count,
                   const Hash& head) {
  AuditVerifier verifier(chain);
  for (const AuditEntry& e : log) verifier.Add(e);
  return verifier.Finish(count, head, chain.HeadMac(count, head));
}

TEST(AuditChainTest, IntactLogVerifies) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 6);
  const AuditReport report = Verify(chain, log, 6, log.back().hash);
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.entries, 6);
  EXPECT_EQ(report.head_hash_hex, crypto::ToHex(log.back().hash));
  EXPECT_EQ(log[0].seq, 1);
  EXPECT_EQ(log[0].previous_hash, chain.Genesis());
}

TEST(AuditChainTest, DetectsEditedEntry) {
  const AuditChain chain = MakeChain();
  for (int field = 0; field < 7; ++field) {
    auto log = MakeLog(chain, 5);
    AuditEntry& e = log[2];
    switch (field) {
      case 0: e.actor = "someone else"; break;
      case 1: e.action = "verify"; break;
      case 2: e.purpose = "other"; break;
      case 3: e.subjects = ""; break;
      case 4: e.details = "{}"; break;
      case 5: e.time += std::chrono::milliseconds(1); break;
      default: e.gallery = "home"; break;
    }
    const AuditReport report = Verify(chain, log, 5, log.back().hash);
    EXPECT_FALSE(report.intact) << field;
    EXPECT_EQ(report.first_bad_seq, 3) << field;
    EXPECT_NE(report.problem.find("altered"), std::string::npos) << report.problem;
  }
}

TEST(AuditChainTest, DetectsRemovedReorderedAndTruncated) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 5);
  auto removed = log;
  removed.erase(removed.begin() + 1);
  AuditReport report = Verify(chain, removed, 5, log.back().hash);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_NE(report.problem.find("missing"), std::string::npos) << report.problem;

  auto reordered = log;
  std::swap(reordered[1], reordered[2]);
  report = Verify(chain, reordered, 5, log.back().hash);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 3);

  // Renumbering after a removal breaks the links (and the hashes).
  auto renumbered = removed;
  for (size_t i = 0; i < renumbered.size(); ++i) renumbered[i].seq = static_cast<int64_t>(i + 1);
  report = Verify(chain, renumbered, 4, renumbered.back().hash);
  EXPECT_FALSE(report.intact);

  // The last entry removed: the head record still says 5.
  auto truncated = log;
  truncated.pop_back();
  report = Verify(chain, truncated, 5, log.back().hash);
  EXPECT_FALSE(report.intact);
  EXPECT_NE(report.problem.find("removed from the end"), std::string::npos) << report.problem;
  // ... and rewriting the head record without the key is caught by its MAC.
  AuditVerifier verifier(chain);
  for (const AuditEntry& e : truncated) verifier.Add(e);
  report = verifier.Finish(4, truncated.back().hash, chain.HeadMac(5, log.back().hash));
  EXPECT_FALSE(report.intact);
  EXPECT_NE(report.problem.find("head record"), std::string::npos) << report.problem;
}

TEST(AuditChainTest, AnotherKeyOrStoreDoesNotVerify) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 3);
  auto other_key = crypto::SecretKey::FromHex(std::string(64, '2'));
  const AuditChain other(std::move(other_key).value(), "store-uid");
  EXPECT_FALSE(Verify(other, log, 3, log.back().hash).intact);
  auto same_key = crypto::SecretKey::FromHex(std::string(64, '1'));
  const AuditChain other_store(std::move(same_key).value(), "another-store");
  EXPECT_FALSE(Verify(other_store, log, 3, log.back().hash).intact);
}

TEST(AuditChainTest, MillisRoundTripAndSaturateOutsideTheClockRange) {
  EXPECT_EQ(ToUnixMillis(FromUnixMillis(1'700'000'000'123)), 1'700'000'000'123);
  // 3,608 years after 1970 does not fit nanoseconds in 64 bits: the nearest time, no overflow.
  EXPECT_EQ(FromUnixMillis(113'857'488'000'000), FromUnixMillis(INT64_MAX));
  EXPECT_GT(ToUnixMillis(FromUnixMillis(113'857'488'000'000)), 9'000'000'000'000);
  EXPECT_LT(ToUnixMillis(FromUnixMillis(INT64_MIN)), -9'000'000'000'000);
}

AuditAnchor AnchorOf(const AuditChain& chain, const std::vector<AuditEntry>& log, size_t count) {
  AuditAnchor anchor;
  anchor.store_uid = chain.store_uid();
  anchor.count = static_cast<int64_t>(count);
  anchor.hash = log[count - 1].hash;
  anchor.mac = chain.HeadMac(anchor.count, anchor.hash);
  anchor.time = FromUnixMillis(1'700'000'100'000);
  return anchor;
}

AuditReport VerifyWithAnchor(const AuditChain& chain, const std::vector<AuditEntry>& log,
                             const AuditAnchor& anchor) {
  AuditVerifier verifier(chain, &anchor);
  for (const AuditEntry& e : log) verifier.Add(e);
  const Hash head = log.back().hash;
  const auto count = static_cast<int64_t>(log.size());
  return verifier.Finish(count, head, chain.HeadMac(count, head));
}

TEST(AuditAnchorTest, LogGrownSinceTheAnchorVerifies) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 8);
  for (size_t count : {size_t{1}, size_t{5}, size_t{8}}) {
    const AuditReport report = VerifyWithAnchor(chain, log, AnchorOf(chain, log, count));
    EXPECT_TRUE(report.intact) << count << ": " << report.problem;
    EXPECT_EQ(report.entries, 8);
  }
}

TEST(AuditAnchorTest, CutBackLogFailsAgainstALaterAnchor) {
  // The attack of issue 18: entries 6..8 deleted and the (validly MACed) head of entry 5 written
  // back. Without an anchor the log verifies; with the anchor of entry 8 it does not.
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 8);
  const AuditAnchor anchor = AnchorOf(chain, log, 8);
  const std::vector<AuditEntry> cut(log.begin(), log.begin() + 5);
  EXPECT_TRUE(Verify(chain, cut, 5, cut.back().hash).intact);
  const AuditReport report = VerifyWithAnchor(chain, cut, anchor);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 6);
  EXPECT_NE(report.problem.find("cut back"), std::string::npos) << report.problem;
}

TEST(AuditAnchorTest, ForkedOrReplacedLogFails) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 8);
  const AuditAnchor anchor = AnchorOf(chain, log, 6);
  // Cut back to 4, then new entries appended by facet itself (validly chained): entry 6 differs.
  std::vector<AuditEntry> forked(log.begin(), log.begin() + 4);
  for (int i = 0; i < 4; ++i) {
    AuditEntry e;
    e.time = FromUnixMillis(1'800'000'000'000 + i);
    e.actor = "tester";
    e.action = "enroll";
    chain.Link(&forked.back(), &e);
    forked.push_back(e);
  }
  const AuditReport report = VerifyWithAnchor(chain, forked, anchor);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 6);
  EXPECT_NE(report.problem.find("forked or replaced"), std::string::npos) << report.problem;
}

TEST(AuditAnchorTest, ForeignOrForgedAnchorsFail) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 4);
  AuditAnchor other_store = AnchorOf(chain, log, 4);
  other_store.store_uid = "another-store";
  AuditReport report = VerifyWithAnchor(chain, log, other_store);
  EXPECT_FALSE(report.intact);
  EXPECT_NE(report.problem.find("another store"), std::string::npos) << report.problem;
  AuditAnchor forged = AnchorOf(chain, log, 4);
  forged.count = 3;  // the MAC no longer matches
  report = VerifyWithAnchor(chain, log, forged);
  EXPECT_FALSE(report.intact);
  EXPECT_NE(report.problem.find("forged"), std::string::npos) << report.problem;
}

TEST(AuditAnchorTest, TextRoundTripAndBadText) {
  const AuditChain chain = MakeChain();
  const auto log = MakeLog(chain, 3);
  const AuditAnchor anchor = AnchorOf(chain, log, 3);
  auto parsed = ParseAuditAnchor(FormatAuditAnchor(anchor));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->store_uid, anchor.store_uid);
  EXPECT_EQ(parsed->count, 3);
  EXPECT_EQ(parsed->hash, anchor.hash);
  EXPECT_EQ(parsed->mac, anchor.mac);
  EXPECT_EQ(ToUnixMillis(parsed->time), ToUnixMillis(anchor.time));
  std::string text = FormatAuditAnchor(anchor);
  for (const std::string& bad :
       {std::string(""), std::string("[]"), std::string("{\"format\":\"other\"}"),
        text.substr(0, text.size() / 2),
        std::string(R"({"format":"facet.audit.anchor.v1","store_uid":"s","count":0,)"
                    R"("time_ms":1,"hash":"00","mac":"00"})")}) {
    auto r = ParseAuditAnchor(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace facet::audit
