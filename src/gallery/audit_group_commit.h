// Group commit of audit entries: concurrent identifications share one store transaction.
//
// Every identification must have its audit entry durably committed before its answer leaves.
// Committed one transaction each, the entries of all threads queue behind one another's commit
// (an fsync with SQLite; a synchronously replicated commit with PostgreSQL, whose chain-head lock
// also serialises every node), and that commit, not the search, bounds identifications per
// second. Here each request enqueues its entry and waits; one of the waiting threads (the
// leader) takes every entry queued so far (at most max_batch), appends them in one transaction
// through the commit function, in queue order, each entry its own link of the hash chain, and
// then wakes every waiter of that batch with the commit's status (the batch is taken once the
// transaction holds the store's write lock, so it also holds what queued during that wait): OK only
// once the transaction holding the entry has committed, and a failed commit fails every request in
// it with that commit's error.
//
// No timer: when nothing is committing, the first request commits at once in its own thread;
// requests arriving while a commit runs form the next batch (whatever queued meanwhile). No
// thread of its own: a batch is always committed by a thread waiting for it, so nothing is
// stranded. Bounded: at most max_queued entries wait for a commit; further requests wait for
// room before enqueueing (back-pressure). Close() refuses new requests and returns once every
// request already inside has been answered (its entry committed or its commit failed).
//
// Thread-safety: every method may be called from any thread. The commit function is called by
// one thread at a time, never with the object's lock held.
#ifndef FACET_SRC_GALLERY_AUDIT_GROUP_COMMIT_H_
#define FACET_SRC_GALLERY_AUDIT_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include "facet/audit.h"
#include "facet/gallery.h"
#include "facet/status.h"

namespace facet::gallery {

// One audit entry to append (what Galleries::Impl::Audit takes but the transaction and time).
struct AuditRecord {
  AuditContext context;
  std::string action;
  std::string gallery;
  std::string subjects;
  std::string details;
};

class AuditGroupCommit {
 public:
  // Takes the batch: the records queued now (at most max_batch), in queue order. The commit
  // function calls it once it holds the store's write lock, so that entries queued while it
  // waited for that lock (another node's commit) join this batch. Later calls return the same.
  using TakeFn = std::function<std::span<const AuditRecord* const>()>;
  // Appends the records `take` returns, in order, in one transaction; OK only when that
  // transaction committed (nothing of it remains otherwise). A commit that fails before calling
  // `take` fails the requests it would have taken; one that returns OK without calling it is
  // an internal error, never a success.
  using CommitFn = std::function<Status(const TakeFn& take)>;

  struct Options {
    int max_batch = 64;    // entries per transaction
    int max_queued = 256;  // entries waiting for a commit (beyond: the caller waits for room)
  };

  AuditGroupCommit(CommitFn commit, Options options);
  // Closes (see Close); no call may be in progress or start during destruction.
  ~AuditGroupCommit();
  AuditGroupCommit(const AuditGroupCommit&) = delete;
  AuditGroupCommit& operator=(const AuditGroupCommit&) = delete;

  // Returns once the transaction holding `record` committed (OK) or failed (its error). After
  // Close: kFailedPrecondition, nothing written.
  Status Append(const AuditRecord& record);

  // Refuses further Append calls and waits until every call already inside has returned.
  void Close();

  AuditCommitStats stats() const;
  // Entries waiting for a commit now (not counting a batch being committed).
  size_t queued() const;

 private:
  struct Ticket {
    const AuditRecord* record = nullptr;
    bool done = false;
    Status status;
  };
  // Commits the batch at the front of the queue. Caller holds `lock` (released meanwhile).
  void CommitBatchLocked(std::unique_lock<std::mutex>& lock);

  const CommitFn commit_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable committed_;  // a batch was answered (waiters check theirs; one leads)
  std::condition_variable room_;       // the queue shrank, or Close
  // Below: guarded by mutex_. Tickets live on their waiting callers' stacks.
  std::deque<Ticket*> queue_;
  bool committing_ = false;
  bool closed_ = false;
  int inside_ = 0;  // Append calls in progress
  AuditCommitStats stats_;
};

}  // namespace facet::gallery

#endif  // FACET_SRC_GALLERY_AUDIT_GROUP_COMMIT_H_
