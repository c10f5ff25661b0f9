// The hand-offs between RedactVideo's pipeline stages: a bounded FIFO, a mailbox of per-frame
// values taken by frame index (optionally bounded ahead of the taker), the tracks after recent
// frames, and the first failure of any stage.
//
// Thread-safety: every class here is safe to use from any number of threads; Abort / Close wake
// every waiter.
#ifndef FACET_SRC_REDACT_PIPELINE_QUEUES_H_
#define FACET_SRC_REDACT_PIPELINE_QUEUES_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "facet/status.h"
#include "redact/scheduler.h"

namespace facet::redact {

// The first error of any thread; once set, every stage stops.
class FirstFailure {
 public:
  void Set(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.ok()) status_ = status;
    failed_ = true;
  }
  bool failed() const { return failed_; }
  Status status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  Status status_;
  std::atomic<bool> failed_{false};
};

// FIFO holding at most `capacity` items.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  bool Push(T item) {  // false when closed
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> Pop() {  // nullopt when closed and empty
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

// Per-frame values put in any order and taken by frame index, each once. With a capacity (> 0),
// Put waits while its index is that far or farther ahead of the next index to be taken (taken in
// increasing order): the frame the taker waits for is always accepted, so a producer that hands
// frames out in order (a FIFO before it) cannot deadlock on it.
template <typename T>
class FrameMailbox {
 public:
  explicit FrameMailbox(int64_t capacity = 0) : capacity_(capacity) {}
  void Put(int64_t index, T value) {  // drops the value when aborted
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(lock, [&] { return aborted_ || capacity_ <= 0 || index < next_ + capacity_; });
    if (aborted_) return;
    values_[index] = std::move(value);
    ready_.notify_all();
  }
  std::optional<T> Take(int64_t index) {  // nullopt when aborted
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return aborted_ || values_.count(index) != 0; });
    if (aborted_) return std::nullopt;
    T value = std::move(values_[index]);
    values_.erase(index);
    next_ = std::max(next_, index + 1);
    room_.notify_all();
    return value;
  }
  void Abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    ready_.notify_all();
    room_.notify_all();
  }

 private:
  const int64_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::map<int64_t, T> values_;
  int64_t next_ = 0;
  bool aborted_ = false;
};

// The tracks after each recent frame, for the scheduler's refresh turns.
class TrackHistory {
 public:
  void Publish(int64_t frame, std::vector<TrackHint> hints) {
    std::lock_guard<std::mutex> lock(mutex_);
    history_[frame] = std::move(hints);
    while (!history_.empty() && history_.begin()->first < frame - 64) {
      history_.erase(history_.begin());
    }
    latest_ = frame;
    ready_.notify_all();
  }
  // The tracks after `frame` (none before the first frame); nullopt when aborted.
  std::optional<std::vector<TrackHint>> WaitFor(int64_t frame) {
    if (frame < 0) return std::vector<TrackHint>{};
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return aborted_ || latest_ >= frame; });
    if (aborted_) return std::nullopt;
    const auto it = history_.find(frame);
    if (it == history_.end()) return std::vector<TrackHint>{};
    return it->second;
  }
  void Abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<int64_t, std::vector<TrackHint>> history_;
  int64_t latest_ = -1;
  bool aborted_ = false;
};

}  // namespace facet::redact

#endif  // FACET_SRC_REDACT_PIPELINE_QUEUES_H_
