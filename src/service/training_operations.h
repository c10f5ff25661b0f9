// The long-running operations Azure's train answers with (202 + Operation-Location), for
// facet, whose search index needs no training: every operation has succeeded when it is made.
// They are kept so that GET /operations/{operationId} can answer for real ids only: in memory,
// bound to the API key that made them (another key gets 404, as for faceIds), at most
// `capacity` at once (the oldest dropped first).
//
// Thread-safety: every method may be called concurrently.
#ifndef FACET_SRC_SERVICE_TRAINING_OPERATIONS_H_
#define FACET_SRC_SERVICE_TRAINING_OPERATIONS_H_

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace facet::service {

struct TrainingOperation {
  std::string id;     // a random UUID
  std::string owner;  // the API key id that started it
  std::string group;  // the person group trained
  std::chrono::system_clock::time_point created;
};

class TrainingOperations {
 public:
  explicit TrainingOperations(size_t capacity = 1024) : capacity_(capacity) {}

  // Records a finished training of `group` started by `owner`.
  TrainingOperation Add(const std::string& owner, const std::string& group);
  // The operation `id` if `owner` started it and it is still held.
  std::optional<TrainingOperation> Find(const std::string& owner, const std::string& id);

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<std::string, TrainingOperation> by_id_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_TRAINING_OPERATIONS_H_
