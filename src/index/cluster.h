// Clustering of unlabeled templates without a cluster count: Chinese Whispers (Biemann 2006)
// over the graph whose edges join templates at least `threshold` similar, weighted by similarity.
// Each node starts in its own cluster; in a seeded random order, each node takes the cluster with
// the largest total edge weight among its neighbours, until nothing changes or the iteration cap.
// A face with no neighbour above the threshold stays alone.
//
// Thread-safety: a pure function.
#ifndef FACET_SRC_INDEX_CLUSTER_H_
#define FACET_SRC_INDEX_CLUSTER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "facet/status.h"

namespace facet::index {

struct ChineseWhispersOptions {
  float threshold = 0.5f;
  int max_iterations = 50;
  uint64_t seed = 1;
};

// Cluster label per row of `vectors` (count rows of `dimensions`), numbered 0.. by decreasing
// cluster size (ties: the cluster holding the lower row first). The all-pairs graph costs
// count^2 / 2 dot products: kResourceExhausted above `max_count`.
Result<std::vector<int>> ChineseWhispers(std::span<const float> vectors, int dimensions,
                                         const ChineseWhispersOptions& options,
                                         size_t max_count = 100'000);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_CLUSTER_H_
