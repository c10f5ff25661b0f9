// AuditGroupCommit on its own, with a commit function that records what it was given: many
// threads appending, each entry committed once and in its caller's order; a failed commit
// failing exactly the requests in it; the bounded queue; Close with requests still waiting.
// Run under ThreadSanitizer by the `tsan` preset, and normally in every other build.
#include "gallery/audit_group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace facet::gallery {
namespace {

using std::chrono::milliseconds;

gallery::AuditRecord Record(const std::string& id) {
  return {{"tester", "test"}, "identify", "office", "", id};
}

// What the commit function saw: each batch's record ids (details) and status, in commit order.
struct Log {
  std::mutex mutex;
  std::vector<std::vector<std::string>> batches;
  std::vector<Status> statuses;
  int in_commit = 0;  // commits running at once (must stay <= 1)
  int max_in_commit = 0;
};

// A gate the commit function waits at until opened.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void Wait() {
    std::unique_lock lock(mutex);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void WaitForArrival() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return waiting > 0; });
  }
  void Open() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

AuditGroupCommit::CommitFn Recording(Log* log, std::function<Status(size_t)> outcome) {
  return [log, outcome = std::move(outcome)](const AuditGroupCommit::TakeFn& take) {
    const std::span<const AuditRecord* const> records = take();
    size_t index = 0;
    {
      std::lock_guard lock(log->mutex);
      ++log->in_commit;
      log->max_in_commit = std::max(log->max_in_commit, log->in_commit);
      index = log->batches.size();
      log->batches.emplace_back();
      for (const AuditRecord* r : records) log->batches.back().push_back(r->details);
    }
    Status status = outcome(index);
    std::lock_guard lock(log->mutex);
    log->statuses.push_back(status);
    --log->in_commit;
    return status;
  };
}

TEST(AuditGroupCommitTest, AnIdleQueueCommitsTheFirstRequestAtOnceInItsOwnThread) {
  Log log;
  std::thread::id committer;
  AuditGroupCommit commits(
      [&](const AuditGroupCommit::TakeFn& take) {
        committer = std::this_thread::get_id();
        EXPECT_EQ(take().size(), 1u);
        return Status::Ok();
      },
      {});
  EXPECT_TRUE(commits.Append(Record("a")).ok());
  // No committer thread and no timer: the caller committed its own entry.
  EXPECT_EQ(committer, std::this_thread::get_id());
  EXPECT_EQ(commits.stats().commits, 1);
  EXPECT_EQ(commits.stats().by_batch_size[0], 1);
}

TEST(AuditGroupCommitTest, ManyThreadsEachEntryCommittedOnceInItsCallersOrder) {
  constexpr int kThreads = 16;
  constexpr int kEach = 60;
  Log log;
  AuditGroupCommit commits(Recording(&log,
                                     [](size_t) {
                                       // A commit takes time (an fsync, a replicated commit):
                                       // requests pile up meanwhile.
                                       std::this_thread::sleep_for(milliseconds(1));
                                       return Status::Ok();
                                     }),
                           {.max_batch = 8, .max_queued = 12});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!commits.Append(Record(std::to_string(t) + ":" + std::to_string(i))).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log.max_in_commit, 1);
  std::map<std::string, int> seen;
  std::map<int, int> last_of_thread;
  size_t largest = 0;
  for (const auto& batch : log.batches) {
    EXPECT_LE(batch.size(), 8u);
    largest = std::max(largest, batch.size());
    for (const std::string& id : batch) {
      ++seen[id];
      const int t = std::stoi(id.substr(0, id.find(':')));
      const int i = std::stoi(id.substr(id.find(':') + 1));
      auto last = last_of_thread.find(t);
      if (last != last_of_thread.end()) {
        EXPECT_EQ(i, last->second + 1) << id;
      }
      last_of_thread[t] = i;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [id, n] : seen) {
    EXPECT_EQ(n, 1) << id;
  }
  EXPECT_GT(largest, 1u);  // 16 threads and a 1 ms commit: entries were grouped
  const AuditCommitStats stats = commits.stats();
  EXPECT_EQ(stats.entries, kThreads * kEach);
  EXPECT_EQ(stats.commits, static_cast<int64_t>(log.batches.size()));
  EXPECT_EQ(stats.largest_batch, static_cast<int64_t>(largest));
  EXPECT_EQ(stats.failed_commits, 0);
}

TEST(AuditGroupCommitTest, AFailedCommitFailsEveryRequestInItAndNoOther) {
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  Log log;
  AuditGroupCommit commits(
      Recording(&log,
                [](size_t index) {
                  std::this_thread::sleep_for(milliseconds(1));
                  if (index % 3 != 1) return Status::Ok();
                  return Status::FailedPrecondition("commit " + std::to_string(index) + " failed");
                }),
      {.max_batch = 6, .max_queued = 64});
  std::mutex mutex;
  std::map<std::string, Status> answers;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = std::to_string(t) + ":" + std::to_string(i);
        const Status status = commits.Append(Record(id));
        std::lock_guard lock(mutex);
        answers[id] = status;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(answers.size(), static_cast<size_t>(kThreads * kEach));
  ASSERT_EQ(log.batches.size(), log.statuses.size());
  int failed = 0;
  for (size_t b = 0; b < log.batches.size(); ++b) {
    for (const std::string& id : log.batches[b]) {
      // Each request got exactly its batch's answer: the same error, or OK.
      EXPECT_EQ(answers[id].code(), log.statuses[b].code()) << id;
      EXPECT_EQ(answers[id].message(), log.statuses[b].message()) << id;
      failed += log.statuses[b].ok() ? 0 : 1;
    }
  }
  int answered_failed = 0;
  for (const auto& [id, status] : answers) answered_failed += status.ok() ? 0 : 1;
  EXPECT_EQ(answered_failed, failed);
  EXPECT_GT(failed, 0);
  EXPECT_EQ(commits.stats().failed_commits, static_cast<int64_t>((log.batches.size() + 1) / 3));
}

TEST(AuditGroupCommitTest, ACommitThatFailsBeforeTakingFailsTheRequestsItWouldHaveTaken) {
  int calls = 0;
  AuditGroupCommit commits(
      [&](const AuditGroupCommit::TakeFn& take) {
        // The first cannot begin its transaction; the second "succeeds" without taking.
        if (++calls == 1) return Status::FailedPrecondition("the database is unavailable; retry");
        if (calls == 2) return Status::Ok();
        return take().size() == 1 ? Status::Ok() : Status::Internal("wrong batch");
      },
      {});
  EXPECT_EQ(commits.Append(Record("a")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(commits.Append(Record("b")).code(), StatusCode::kInternal);  // never a success
  EXPECT_TRUE(commits.Append(Record("c")).ok());
  EXPECT_EQ(commits.stats().failed_commits, 2);
  EXPECT_EQ(commits.queued(), 0u);
}

TEST(AuditGroupCommitTest, AnExceptionInTheCommitFailsItsBatch) {
  AuditGroupCommit commits(
      [](const AuditGroupCommit::TakeFn& take) -> Status {
        (void)take();
        throw std::runtime_error("boom");
      },
      {});
  const Status status = commits.Append(Record("a"));
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  // And the queue is not stuck.
  EXPECT_EQ(commits.Append(Record("b")).code(), StatusCode::kInternal);
}

TEST(AuditGroupCommitTest, TheQueueIsBoundedAndCallersWaitForRoom) {
  constexpr int kThreads = 12;
  Log log;
  Gate gate;
  AuditGroupCommit commits(Recording(&log,
                                     [&](size_t index) {
                                       if (index == 0) gate.Wait();
                                       return Status::Ok();
                                     }),
                           {.max_batch = 2, .max_queued = 4});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  threads.emplace_back([&] { ok += commits.Append(Record("first")).ok() ? 1 : 0; });
  gate.WaitForArrival();  // the first commit is running, and holds until the gate opens
  for (int t = 1; t < kThreads; ++t) {
    threads.emplace_back([&, t] { ok += commits.Append(Record(std::to_string(t))).ok() ? 1 : 0; });
  }
  while (commits.queued() < 4) std::this_thread::sleep_for(milliseconds(1));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(commits.queued(), 4u);  // the other 7 wait for room, not in the queue
  gate.Open();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(commits.stats().entries, kThreads);
  EXPECT_LE(commits.stats().largest_batch, 2);
}

TEST(AuditGroupCommitTest, CloseAnswersTheRequestsInsideAndRefusesNewOnes) {
  Log log;
  Gate gate;
  AuditGroupCommit commits(Recording(&log,
                                     [&](size_t index) {
                                       if (index == 0) gate.Wait();
                                       return Status::Ok();
                                     }),
                           {});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  threads.emplace_back([&] { ok += commits.Append(Record("leader")).ok() ? 1 : 0; });
  gate.WaitForArrival();
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] { ok += commits.Append(Record(std::to_string(t))).ok() ? 1 : 0; });
  }
  while (commits.queued() < 3) std::this_thread::sleep_for(milliseconds(1));
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    commits.Close();
    closed = true;
  });
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_FALSE(closed.load());  // waits for the 4 requests inside
  gate.Open();
  closer.join();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);  // committed, not dropped
  EXPECT_EQ(commits.stats().entries, 4);
  const size_t batches = log.batches.size();
  EXPECT_EQ(commits.Append(Record("late")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(log.batches.size(), batches);  // nothing committed for it
}

}  // namespace
}  // namespace facet::gallery
