// A node following a PostgreSQL store's change log (issue 19; docs/cluster.md): node A writes,
// node B follows with a lease. Runs only against PostgreSQL (ctest's "pg." tests); skips
// otherwise.
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gallery/gallery_test_fixture.h"
#include "store/template_store.h"

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

// A node's index snapshots (docs/cluster.md, "Index snapshots of a node"): HNSW graphs written by
// one node, read by the next start of a node, checked against the change log.
class NodeSnapshotTest : public GalleryTest {
 protected:
  void SetUp() override {
    if (PostgresTestBase().empty()) GTEST_SKIP() << "needs FACET_TEST_POSTGRES";
    GalleryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    options_.index.hnsw_min_faces = 1;  // every gallery with a face has a graph
    snapshot_dir_ = dir_ + "/snapshots";
    MakeGallery("office");
    for (int i = 1; i <= 24; ++i) AddConsentedPerson("office", Name(i), i, 1);
  }

  static std::string Name(int i) { return "p" + std::to_string(i); }

  // A node following the log; with `snapshots`, keeping them in snapshot_dir_, written every
  // `interval_s`.
  std::unique_ptr<Galleries> StartNode(bool snapshots, int interval_s = 600) {
    auto opened = Galleries::Open(options_);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    FollowOptions follow;
    follow.poll_ms = 50;
    follow.statement_timeout_ms = 3'000;
    if (snapshots) follow.snapshot_dir = snapshot_dir_;
    follow.snapshot_interval_s = interval_s;
    follow.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_ += line + "\n";
    };
    const Status started = (*opened)->FollowChanges(follow);
    EXPECT_TRUE(started.ok()) << started.ToString();
    return started.ok() ? std::move(opened).value() : nullptr;
  }

  // Takes what the nodes logged so far.
  std::string TakeLog() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return std::exchange(log_, "");
  }

  // Writes the snapshot with a node that then stops; returns the file.
  std::string WriteSnapshot() {
    auto node = StartNode(true);
    EXPECT_NE(node, nullptr);
    if (node == nullptr) return "";
    EXPECT_TRUE(node->Flush().ok());
    node.reset();
    std::string file;
    for (const auto& entry : std::filesystem::directory_iterator(snapshot_dir_)) {
      if (entry.path().string().ends_with(".node.fidx")) file = entry.path().string();
    }
    EXPECT_FALSE(file.empty()) << TakeLog();
    return file;
  }

  std::vector<Candidate> Candidates(Galleries& node, const Embedding& probe) {
    IdentifyOptions request{"door-2", "entry"};
    request.max_candidates = 5;
    auto found = node.Identify("office", std::vector<Embedding>{probe}, request);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? found->front().candidates : std::vector<Candidate>{};
  }

  // Asks both nodes about each probe and expects the same candidates, persons and similarities.
  // Returns how many probes found anyone, or -1 (after a failure) when a list's length differs.
  int SameCandidates(Galleries& a, Galleries& b, const std::vector<Embedding>& probes) {
    int known = 0;
    for (const Embedding& probe : probes) {
      const std::vector<Candidate> from_a = Candidates(a, probe);
      const std::vector<Candidate> from_b = Candidates(b, probe);
      EXPECT_EQ(from_a.size(), from_b.size());
      if (from_a.size() != from_b.size()) return -1;
      known += !from_a.empty();
      for (size_t i = 0; i < from_a.size(); ++i) {
        EXPECT_EQ(from_a[i].person_id, from_b[i].person_id);
        EXPECT_FLOAT_EQ(from_a[i].similarity, from_b[i].similarity);
      }
    }
    return known;
  }

  std::string PersonFound(Galleries& node, const Embedding& probe) {
    auto found = node.Identify("office", std::vector<Embedding>{probe}, {"door-2", "entry"});
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? found->front().person_id : "?";
  }

  void PgSql(const std::string& sql) {
    const std::string error = PostgresTestExec(options_.store, sql);
    ASSERT_TRUE(error.empty()) << error;
  }

  // A bytea column of change `seq`.
  std::vector<uint8_t> Bytes(const std::string& column, int64_t seq) {
    PGconn* conn = PQconnectdb(options_.store.c_str());
    PGresult* result = PQexec(conn, ("SELECT encode(" + column +
                                     ", 'hex') FROM changes WHERE seq = " + std::to_string(seq))
                                        .c_str());
    std::vector<uint8_t> out;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
      const std::string hex = PQgetvalue(result, 0, 0);
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
    }
    PQclear(result);
    PQfinish(conn);
    EXPECT_EQ(out.size(), 32u) << column << " of change " << seq;
    return out;
  }

  static std::string Hex(const std::vector<uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    return out;
  }

  std::string snapshot_dir_;
  std::mutex log_mutex_;
  std::string log_;
};

TEST_F(NodeSnapshotTest, ASnapshotAndTheChangesAfterItAnswerAsAFreshBuild) {
  WriteSnapshot();
  EXPECT_NE(TakeLog().find("written"), std::string::npos);
  // After the snapshot: persons enrolled, erased, a face added, a consent revoked.
  for (int i = 25; i <= 32; ++i) AddConsentedPerson("office", Name(i), i, 1);
  ASSERT_TRUE(galleries_->ErasePerson("office", Name(3), admin_).ok());
  ASSERT_TRUE(galleries_->ErasePerson("office", Name(27), admin_).ok());
  Enroll("office", Name(10), people_.Face(10), 9'999);
  auto consents = galleries_->ListConsents("office", Name(12));
  ASSERT_TRUE(consents.ok() && consents->size() == 1);
  ASSERT_TRUE(
      galleries_->RevokeConsent("office", Name(12), consents->front().consent_id, admin_).ok());
  auto from_snapshot = StartNode(true);
  ASSERT_NE(from_snapshot, nullptr);
  const std::string log = TakeLog();
  EXPECT_NE(log.find("loaded"), std::string::npos) << log;
  EXPECT_NE(log.find("8 enrolled since inserted"), std::string::npos) << log;  // 25-32 but 27; p10
  EXPECT_NE(log.find("2 removed since"), std::string::npos) << log;            // p3, p12
  auto fresh = StartNode(false);
  ASSERT_NE(fresh, nullptr);
  std::vector<Embedding> probes;
  for (int i = 1; i <= 32; ++i) probes.push_back(people_.Face(i));
  for (int i = 0; i < 8; ++i) probes.push_back(people_.Stranger());
  EXPECT_EQ(SameCandidates(*from_snapshot, *fresh, probes), 29);  // 32 less p3, p12 and p27
  EXPECT_EQ(PersonFound(*from_snapshot, people_.Face(31)), Name(31));
  EXPECT_EQ(from_snapshot->GetFollowStatus().rebuilds, 0);
}

TEST_F(NodeSnapshotTest, AnErasureAfterTheSnapshotIsAppliedAtStart) {
  WriteSnapshot();
  ASSERT_TRUE(galleries_->ErasePerson("office", Name(5), admin_).ok());
  auto node = StartNode(true);
  ASSERT_NE(node, nullptr);
  const std::string log = TakeLog();
  EXPECT_NE(log.find("loaded"), std::string::npos) << log;
  EXPECT_NE(log.find("1 removed since"), std::string::npos) << log;
  EXPECT_EQ(PersonFound(*node, people_.Face(5)), "");
  EXPECT_EQ(PersonFound(*node, people_.Face(6)), Name(6));
}

TEST_F(NodeSnapshotTest, ASnapshotWhoseChangeHashDiffersIsRefusedAndTheGalleryBuilt) {
  WriteSnapshot();
  auto node = StartNode(false);
  ASSERT_NE(node, nullptr);
  const int64_t change = node->GetFollowStatus().applied_change;
  node.reset();
  // The database's change `change` is not the one the snapshot reflects (a restored database, a
  // diverged history): another payload, with the hash that payload has in the chain (so the row
  // itself is sound), written behind the append-only triggers.
  const std::string other = "{\"g\":[]}";
  const std::vector<uint8_t> hash =
      store::ChangeLogHash(Bytes("previous_hash", change), change, other);
  PgSql("SET session_replication_role = replica; UPDATE changes SET payload = '" + other +
        "', hash = '\\x" + Hex(hash) + "' WHERE seq = " + std::to_string(change) +
        "; UPDATE change_head SET hash = '\\x" + Hex(hash) + "' WHERE seq = " +
        std::to_string(change));
  TakeLog();
  node = StartNode(true);
  ASSERT_NE(node, nullptr);
  std::string log = TakeLog();
  EXPECT_NE(log.find("has another hash"), std::string::npos) << log;
  EXPECT_NE(log.find("building from the store"), std::string::npos) << log;
  EXPECT_EQ(log.find("loaded"), std::string::npos) << log;
  EXPECT_EQ(PersonFound(*node, people_.Face(4)), Name(4));
  node.reset();
  // A log trimmed past the snapshot's change: refused as well.
  WriteSnapshot();
  PgSql("SET session_replication_role = replica; DELETE FROM changes");
  TakeLog();
  node = StartNode(true);
  ASSERT_NE(node, nullptr);
  log = TakeLog();
  EXPECT_NE(log.find("no longer holds"), std::string::npos) << log;
  EXPECT_EQ(PersonFound(*node, people_.Face(4)), Name(4));
}

TEST_F(NodeSnapshotTest, ADamagedOrTruncatedSnapshotIsRefusedAndTheGalleryBuilt) {
  const std::string file = WriteSnapshot();
  ASSERT_FALSE(file.empty());
  std::vector<char> good;
  {
    std::ifstream in(file, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(good.size(), 200u);
  struct Damage {
    const char* what;
    std::vector<char> bytes;
  };
  std::vector<Damage> damages;
  damages.push_back({"truncated", std::vector<char>(good.begin(), good.begin() + good.size() / 2)});
  damages.push_back({"empty", {}});
  std::vector<char> flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  damages.push_back({"a byte flipped", flipped});
  damages.push_back({"not a snapshot", std::vector<char>(4'096, 'x')});
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.what);
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(damage.bytes.data(), static_cast<std::streamsize>(damage.bytes.size()));
    }
    TakeLog();
    auto node = StartNode(true);
    ASSERT_NE(node, nullptr);
    const std::string log = TakeLog();
    EXPECT_NE(log.find("index snapshot refused"), std::string::npos) << log;
    EXPECT_NE(log.find("building from the store"), std::string::npos) << log;
    EXPECT_EQ(PersonFound(*node, people_.Face(8)), Name(8));
  }
  // The node that built the gallery wrote a sound snapshot again: it is loaded.
  TakeLog();
  auto node = StartNode(true);
  ASSERT_NE(node, nullptr);
  const std::string log = TakeLog();
  EXPECT_NE(log.find("loaded"), std::string::npos) << log;
}

// A deleted gallery's snapshot names no one, but nothing would read it again: a running node
// removes it when it applies the deletion, a starting one those of galleries deleted while it
// was stopped. Files it did not name are left alone.
TEST_F(NodeSnapshotTest, ADeletedGallerysSnapshotIsRemovedByTheRunningNodeAndAtStart) {
  namespace fs = std::filesystem;
  MakeGallery("lobby");
  MakeGallery("annex");
  for (int i = 1; i <= 3; ++i) {
    AddConsentedPerson("lobby", Name(i), i, 1);
    AddConsentedPerson("annex", Name(i), i, 1);
  }
  auto snapshots = [&] {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(snapshot_dir_)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  };
  // Waits (up to 10 s) until `files` are left in the directory and the node has said it removed
  // a snapshot (it removes the file, then logs); returns what it logged meanwhile.
  const std::string kRemoved = "was deleted: its index snapshot removed";
  auto wait_for_removal = [&](size_t files) {
    std::string log;
    for (int waited_ms = 0; waited_ms < 10'000; waited_ms += 20) {
      log += TakeLog();
      if (snapshots().size() == files && log.find(kRemoved) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return log;
  };
  auto node = StartNode(true);
  ASSERT_NE(node, nullptr);
  ASSERT_TRUE(node->Flush().ok());
  const std::set<std::string> three = snapshots();
  ASSERT_EQ(three.size(), 3u) << TakeLog();
  TakeLog();
  ASSERT_TRUE(galleries_->DeleteGallery("lobby", admin_).ok());
  // Removed at once (the snapshot thread is woken), not at the 600 s interval.
  const std::string running_log = wait_for_removal(2);
  EXPECT_EQ(snapshots().size(), 2u);
  EXPECT_NE(running_log.find(kRemoved), std::string::npos) << running_log;
  node.reset();
  // Deleted while no node runs; a file of the same look from a user, and other files.
  ASSERT_TRUE(galleries_->DeleteGallery("annex", admin_).ok());
  for (const char* name : {"notes.txt", "gallery-7.node.fidx.bak", "gallery-07.node.fidx",
                                  "gallery-x.node.fidx"}) {
    std::ofstream(fs::path(snapshot_dir_) / name) << "kept";
  }
  node = StartNode(true);
  ASSERT_NE(node, nullptr);
  const std::string start_log = wait_for_removal(5);
  const std::set<std::string> after = snapshots();
  EXPECT_EQ(after.size(), 5u);  // office's snapshot and the four files above
  EXPECT_EQ(after.count("notes.txt") + after.count("gallery-7.node.fidx.bak") +
                after.count("gallery-07.node.fidx") + after.count("gallery-x.node.fidx"),
            4u);
  EXPECT_NE(start_log.find(kRemoved), std::string::npos) << start_log;
  EXPECT_EQ(PersonFound(*node, people_.Face(8)), Name(8));
}

// A graph with many removed nodes (HNSW cannot delete one) is written as a graph built anew
// from the live vectors, and the next start loads it: the same answers as a fresh build, and no
// removed node left to skip.
TEST_F(NodeSnapshotTest, ASnapshotOfAGraphWithManyRemovedNodesIsBuiltAnewWithoutThem) {
  auto node = StartNode(true, /*interval_s=*/1);
  ASSERT_NE(node, nullptr);
  for (int i = 1; i <= 8; ++i) {  // 8 of 24 (1 face each): a third of the graph's nodes
    ASSERT_TRUE(galleries_->ErasePerson("office", Name(i), admin_).ok());
  }
  std::string log;
  for (int waited_ms = 0; waited_ms < 15'000; waited_ms += 50) {
    log += TakeLog();
    if (log.find("without its 8 removed nodes") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(log.find("a graph built anew without its 8 removed nodes"), std::string::npos) << log;
  node.reset();
  TakeLog();
  auto from_snapshot = StartNode(true);
  ASSERT_NE(from_snapshot, nullptr);
  log = TakeLog();
  EXPECT_NE(log.find("loaded"), std::string::npos) << log;
  EXPECT_NE(log.find("0 removed since"), std::string::npos) << log;  // none left in the graph
  auto fresh = StartNode(false);
  ASSERT_NE(fresh, nullptr);
  std::vector<Embedding> probes;  // one sample each: Face() draws a new one at each call
  for (int i = 1; i <= 24; ++i) probes.push_back(people_.Face(i));
  EXPECT_EQ(SameCandidates(*from_snapshot, *fresh, probes), 16);
}

TEST_F(NodeSnapshotTest, BadSnapshotOptionsAreRefused) {
  auto opened = Galleries::Open(options_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  for (const double share : {0.0, -1.0, std::nan("")}) {
    FollowOptions follow;
    follow.snapshot_dir = snapshot_dir_;
    follow.snapshot_compact_removed_share = share;
    EXPECT_EQ((*opened)->FollowChanges(follow).code(), StatusCode::kInvalidArgument) << share;
  }
  FollowOptions follow;
  follow.snapshot_dir = snapshot_dir_;
  follow.snapshot_interval_s = 0;
  EXPECT_EQ((*opened)->FollowChanges(follow).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace facet::testing
