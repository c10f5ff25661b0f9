// The k best (score, slot) pairs of a stream of scores.
#ifndef FACET_SRC_INDEX_TOP_K_H_
#define FACET_SRC_INDEX_TOP_K_H_

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace facet::index {

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k + 1); }

  void Push(float score, size_t slot) {
    if (heap_.size() < k_) {
      heap_.emplace_back(score, slot);
      std::push_heap(heap_.begin(), heap_.end(), Worse);
    } else if (score > heap_.front().first) {
      std::pop_heap(heap_.begin(), heap_.end(), Worse);
      heap_.back() = {score, slot};
      std::push_heap(heap_.begin(), heap_.end(), Worse);
    }
  }

  // Scores of slots base, base + 1, ...
  void PushBlock(const float* scores, size_t count, size_t base) {
    for (size_t i = 0; i < count; ++i) {
      if (heap_.size() < k_ || scores[i] > heap_.front().first) Push(scores[i], base + i);
    }
  }

  // Best first; ties by lower slot.
  std::vector<std::pair<float, size_t>> Sorted() const {
    std::vector<std::pair<float, size_t>> out(heap_);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    return out;
  }

 private:
  // Min-heap on score: the root is the worst kept.
  static bool Worse(const std::pair<float, size_t>& a, const std::pair<float, size_t>& b) {
    return a.first > b.first;
  }
  size_t k_;
  std::vector<std::pair<float, size_t>> heap_;
};

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_TOP_K_H_
