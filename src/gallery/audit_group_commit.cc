// Group commit of audit entries (see audit_group_commit.h).
#include "gallery/audit_group_commit.h"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace facet::gallery {
namespace {

// Index into AuditCommitStats::by_batch_size: 1, 2-3, 4-7, 8-15, 16-31, 32+.
size_t SizeBucket(size_t entries) {
  size_t bucket = 0;
  while (entries > 1 && bucket + 1 < AuditCommitStats{}.by_batch_size.size()) {
    entries >>= 1;
    ++bucket;
  }
  return bucket;
}

}  // namespace

AuditGroupCommit::AuditGroupCommit(CommitFn commit, Options options)
    : commit_(std::move(commit)), options_(options) {}

AuditGroupCommit::~AuditGroupCommit() { Close(); }

Status AuditGroupCommit::Append(const AuditRecord& record) {
  Ticket ticket;
  ticket.record = &record;
  std::unique_lock lock(mutex_);
  const auto refused = [] {
    return Status::FailedPrecondition(
        "the audit log is closing: nothing was written and no answer may be given");
  };
  if (closed_) return refused();
  ++inside_;
  // Back-pressure: a full queue is drained by the callers already in it.
  room_.wait(lock, [&] {
    return closed_ || queue_.size() < static_cast<size_t>(std::max(1, options_.max_queued));
  });
  if (closed_) {
    --inside_;
    room_.notify_all();  // Close waits for inside_ to reach 0
    return refused();
  }
  queue_.push_back(&ticket);
  // Until this ticket's transaction is over: lead a commit whenever none runs (the batch is the
  // front of the queue, which holds this ticket unless max_batch others were ahead of it).
  while (!ticket.done) {
    if (committing_) {
      committed_.wait(lock);
    } else {
      CommitBatchLocked(lock);
    }
  }
  --inside_;
  if (closed_ && inside_ == 0) room_.notify_all();
  return ticket.status;
}

void AuditGroupCommit::CommitBatchLocked(std::unique_lock<std::mutex>& lock) {
  committing_ = true;
  std::vector<Ticket*> batch;
  std::vector<const AuditRecord*> records;
  bool taken = false;
  // Called without mutex_ held, by the commit function (or below): no other leader runs, so the
  // queue's front is this batch's.
  const TakeFn take = [&]() -> std::span<const AuditRecord* const> {
    if (taken) return records;
    std::lock_guard guard(mutex_);
    const size_t n = std::min(queue_.size(), static_cast<size_t>(std::max(1, options_.max_batch)));
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    for (const Ticket* t : batch) records.push_back(t->record);
    taken = true;
    room_.notify_all();
    return records;
  };
  lock.unlock();
  Status status;
  try {
    status = commit_(take);
  } catch (const std::exception& e) {
    // Never answered as success, and never leaves `committing_` set.
    status = Status::Internal(std::string("audit commit failed: ") + e.what());
  } catch (...) {
    status = Status::Internal("audit commit failed: an unknown exception");
  }
  if (!taken) {
    // Failed before taking (no transaction, no lock): the requests it would have committed get
    // its error. A "success" that took nothing committed nothing.
    if (status.ok()) status = Status::Internal("audit commit returned without taking its batch");
    (void)take();
  }
  lock.lock();
  for (Ticket* t : batch) {
    t->status = status;
    t->done = true;
  }
  const size_t n = batch.size();
  ++stats_.commits;
  if (!status.ok()) ++stats_.failed_commits;
  stats_.entries += static_cast<int64_t>(n);
  stats_.largest_batch = std::max(stats_.largest_batch, static_cast<int64_t>(n));
  ++stats_.by_batch_size[SizeBucket(n)];
  committing_ = false;
  committed_.notify_all();
}

void AuditGroupCommit::Close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  room_.notify_all();
  // Callers already queued finish: each is answered by a commit that one of them leads.
  room_.wait(lock, [&] { return inside_ == 0; });
}

AuditCommitStats AuditGroupCommit::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

size_t AuditGroupCommit::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace facet::gallery
