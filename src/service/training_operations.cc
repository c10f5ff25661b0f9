#include "service/training_operations.h"

#include "service/face_ids.h"

namespace facet::service {

TrainingOperation TrainingOperations::Add(const std::string& owner, const std::string& group) {
  TrainingOperation op{.id = RandomUuid(),
                       .owner = owner,
                       .group = group,
                       .created = std::chrono::system_clock::now()};
  std::lock_guard<std::mutex> lock(mutex_);
  while (!order_.empty() && order_.size() >= capacity_) {
    by_id_.erase(order_.front());
    order_.pop_front();
  }
  if (capacity_ > 0) {
    by_id_[op.id] = op;
    order_.push_back(op.id);
  }
  return op;
}

std::optional<TrainingOperation> TrainingOperations::Find(const std::string& owner,
                                                          const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.owner != owner) return std::nullopt;
  return it->second;
}

}  // namespace facet::service
