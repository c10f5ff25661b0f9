#include "index/cluster.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <unordered_map>

#include "index/kernels.h"

namespace facet::index {

Result<std::vector<int>> ChineseWhispers(std::span<const float> vectors, int dimensions,
                                         const ChineseWhispersOptions& options, size_t max_count) {
  if (dimensions <= 0 || vectors.size() % static_cast<size_t>(dimensions) != 0) {
    return Status::InvalidArgument("vectors do not divide into rows of the given dimensions");
  }
  const size_t n = vectors.size() / dimensions;
  if (n > max_count) {
    return Status::ResourceExhausted("clustering is limited to " + std::to_string(max_count) +
                                     " faces (all-pairs graph)");
  }
  // Similarity graph (adjacency lists, both directions).
  struct Edge {
    uint32_t to;
    float weight;
  };
  std::vector<std::vector<Edge>> graph(n);
  const KernelIsa isa = DetectKernelIsa();
  std::vector<float> scores(n);
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t rest = n - i - 1;
    DotF32(isa, vectors.data() + i * dimensions, vectors.data() + (i + 1) * dimensions, rest,
           dimensions, scores.data());
    for (size_t j = 0; j < rest; ++j) {
      if (scores[j] >= options.threshold) {
        const auto other = static_cast<uint32_t>(i + 1 + j);
        graph[i].push_back({other, scores[j]});
        graph[other].push_back({static_cast<uint32_t>(i), scores[j]});
      }
    }
  }
  std::vector<int> label(n);
  std::iota(label.begin(), label.end(), 0);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(options.seed);
  std::unordered_map<int, float> votes;
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    std::shuffle(order.begin(), order.end(), rng);
    bool changed = false;
    for (uint32_t node : order) {
      if (graph[node].empty()) continue;
      votes.clear();
      for (const Edge& e : graph[node]) votes[label[e.to]] += e.weight;
      int best = label[node];
      float best_weight = -1;
      for (const auto& [candidate, weight] : votes) {
        if (weight > best_weight || (weight == best_weight && candidate < best)) {
          best = candidate;
          best_weight = weight;
        }
      }
      if (best != label[node]) {
        label[node] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  // Renumber by decreasing size, ties by first row.
  std::unordered_map<int, std::pair<size_t, size_t>> stats;  // label -> (size, first row)
  for (size_t i = 0; i < n; ++i) {
    auto [it, inserted] = stats.try_emplace(label[i], 0, i);
    ++it->second.first;
  }
  std::vector<std::pair<int, std::pair<size_t, size_t>>> ranked(stats.begin(), stats.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.first != b.second.first ? a.second.first > b.second.first
                                            : a.second.second < b.second.second;
  });
  std::unordered_map<int, int> renumber;
  for (size_t r = 0; r < ranked.size(); ++r) renumber[ranked[r].first] = static_cast<int>(r);
  for (int& l : label) l = renumber[l];
  return label;
}

}  // namespace facet::index
