// A node following a PostgreSQL store's change log (issue 19; docs/cluster.md): node A writes,
// node B follows with a lease. Runs only against PostgreSQL (ctest's "pg." tests); skips
// otherwise.
#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <thread>

#include "gallery/gallery_test_fixture.h"

namespace facet::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class ChangeFollowerTest : public GalleryTest {
 protected:
  void SetUp() override {
    if (PostgresTestBase().empty()) GTEST_SKIP() << "needs FACET_TEST_POSTGRES";
    GalleryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MakeGallery("office");
    AddConsentedPerson("office", "amy", 1, 2);
    AddConsentedPerson("office", "bob", 2, 2);
    auto opened = Galleries::Open(options_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    node_b_ = std::move(opened).value();
    FollowOptions follow;
    follow.max_staleness_ms = kLeaseMs;
    follow.poll_ms = 50;
    follow.statement_timeout_ms = 3'000;
    const Status started = node_b_->FollowChanges(follow);
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  void TearDown() override {
    node_b_.reset();
    GalleryTest::TearDown();
  }

  Result<Identification> IdentifyOnB(const Embedding& probe) {
    auto found = node_b_->Identify("office", std::vector<Embedding>{probe}, {"door-2", "entry"});
    if (!found.ok()) return found.status();
    return found->front();
  }

  // Runs `sql` in this test's schema as the database's superuser.
  void PgSql(const std::string& sql) {
    const std::string error = PostgresTestExec(options_.store, sql);
    ASSERT_TRUE(error.empty()) << error;
  }

  // Waits until B rebuilt `rebuilds` times and is current again; false after 5 s.
  bool WaitForRebuild(int64_t rebuilds) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      const FollowStatus s = node_b_->GetFollowStatus();
      if (s.rebuilds >= rebuilds && s.fresh) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  static constexpr int kLeaseMs = 500;
  std::unique_ptr<Galleries> node_b_;
};

TEST_F(ChangeFollowerTest, AnErasureOnOneNodeIsAbsentOnTheOtherWithinTheLease) {
  auto before = IdentifyOnB(people_.Face(1));
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->person_id, "amy");
  ASSERT_TRUE(galleries_->ErasePerson("office", "amy", admin_).ok());
  const auto erased = Clock::now();
  // Probed every 5 ms: never "amy" once the lease since the erasure has run out.
  while (true) {
    auto found = IdentifyOnB(people_.Face(1));
    const auto elapsed = Clock::now() - erased;
    ASSERT_TRUE(found.ok() || IsNodeStale(found.status())) << found.status().ToString();
    if (found.ok() && found->person_id != "amy") break;
    ASSERT_LT(elapsed, milliseconds(kLeaseMs)) << "amy still identified on node B";
    std::this_thread::sleep_for(milliseconds(5));
  }
  auto bob = IdentifyOnB(people_.Face(2));
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->person_id, "bob");
  EXPECT_EQ(node_b_->GetFollowStatus().rebuilds, 0);
}

TEST_F(ChangeFollowerTest, ReadYourWritesWaitsForTheChangeNumber) {
  AddConsentedPerson("office", "cy", 3, 1);
  const int64_t change = galleries_->LastCommittedChange();
  ASSERT_GT(change, 0);
  ASSERT_TRUE(node_b_->WaitForChange(change, milliseconds(2'000)).ok());
  EXPECT_GE(node_b_->GetFollowStatus().applied_change, change);
  // On a loaded machine the lease can run out while the answer is being made: that refusal is
  // correct (and tested below), so it is retried here, where read-your-writes is the point.
  auto found = IdentifyOnB(people_.Face(3));
  for (int retry = 0; retry < 20 && !found.ok() && IsNodeStale(found.status()); ++retry) {
    std::this_thread::sleep_for(milliseconds(100));
    found = IdentifyOnB(people_.Face(3));
  }
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->person_id, "cy");
  // A number nobody committed: refused after the wait, as a stale node.
  const auto start = Clock::now();
  const Status never = node_b_->WaitForChange(change + 1'000, milliseconds(200));
  EXPECT_TRUE(IsNodeStale(never)) << never.ToString();
  EXPECT_GE(Clock::now() - start, milliseconds(200));
}

TEST_F(ChangeFollowerTest, ANodeThatCannotReachTheHeadRefusesPastItsLeaseThenRecovers) {
  ASSERT_TRUE(node_b_->CheckFresh().ok());
  // Another session holds change_head: B's reads of the head wait (as when cut off).
  PGconn* locker = PQconnectdb(options_.store.c_str());
  ASSERT_EQ(PQstatus(locker), CONNECTION_OK);
  PQclear(PQexec(locker, "BEGIN"));
  PGresult* locked = PQexec(locker, "LOCK TABLE change_head IN ACCESS EXCLUSIVE MODE");
  ASSERT_EQ(PQresultStatus(locked), PGRES_COMMAND_OK);
  PQclear(locked);
  std::this_thread::sleep_for(milliseconds(kLeaseMs + 200));
  auto stale = IdentifyOnB(people_.Face(1));
  EXPECT_TRUE(IsNodeStale(stale.status())) << stale.status().ToString();
  EXPECT_FALSE(node_b_->CheckFresh().ok());
  auto verified = node_b_->Verify("office", "amy", people_.Face(1), {"door-2", "entry"});
  EXPECT_TRUE(IsNodeStale(verified.status())) << verified.status().ToString();
  PQclear(PQexec(locker, "ROLLBACK"));
  PQfinish(locker);
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (!node_b_->CheckFresh().ok() && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(node_b_->CheckFresh().ok());
  auto found = IdentifyOnB(people_.Face(1));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->person_id, "amy");
}

TEST_F(ChangeFollowerTest, AHashMismatchForcesARebuild) {
  // A forged change row (as from a server with another history): its hash does not chain.
  PgSql(
      "INSERT INTO changes(seq, time_ms, payload, previous_hash, hash) "
      "SELECT seq + 1, 0, '{}', hash, '\\x" +
      std::string(64, '0') +
      "' FROM change_head; "
      "UPDATE change_head SET seq = seq + 1, hash = '\\x" +
      std::string(64, '0') + "'");
  ASSERT_TRUE(WaitForRebuild(1)) << node_b_->GetFollowStatus().problem;
  EXPECT_NE(node_b_->GetFollowStatus().problem.find("does not match its hash"), std::string::npos)
      << node_b_->GetFollowStatus().problem;
  // Rebuilt from the store, it follows on: an erasure on A is absent on B.
  ASSERT_TRUE(galleries_->ErasePerson("office", "bob", admin_).ok());
  ASSERT_TRUE(node_b_->WaitForChange(galleries_->LastCommittedChange(), milliseconds(2'000)).ok());
  auto found = IdentifyOnB(people_.Face(2));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(found->known());
  EXPECT_EQ(node_b_->GetFollowStatus().rebuilds, 1);
}

TEST_F(ChangeFollowerTest, AGapAndADivergedHistoryForceARebuild) {
  PgSql("UPDATE change_head SET seq = seq + 3");  // rows that never come
  ASSERT_TRUE(WaitForRebuild(1)) << node_b_->GetFollowStatus().problem;
  EXPECT_NE(node_b_->GetFollowStatus().problem.find("gap"), std::string::npos)
      << node_b_->GetFollowStatus().problem;
  PgSql("UPDATE change_head SET seq = seq - 2");  // a head behind what B applied
  ASSERT_TRUE(WaitForRebuild(2)) << node_b_->GetFollowStatus().problem;
  EXPECT_NE(node_b_->GetFollowStatus().problem.find("diverged"), std::string::npos)
      << node_b_->GetFollowStatus().problem;
  auto found = IdentifyOnB(people_.Face(1));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->person_id, "amy");
}

}  // namespace
}  // namespace facet::testing
