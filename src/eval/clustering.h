// Clustering quality against ground-truth identities: BCubed and pairwise precision/recall/F1.
//
// BCubed (Bagga & Baldwin 1998; Amigo et al. 2009): per item, precision = share of its cluster
// with its identity, recall = share of its identity in its cluster; averaged over items.
// Pairwise: over all item pairs, precision = same-identity pairs among same-cluster pairs, recall
// = same-cluster pairs among same-identity pairs.
#ifndef FACET_SRC_EVAL_CLUSTERING_H_
#define FACET_SRC_EVAL_CLUSTERING_H_

#include <cstdint>
#include <span>

#include "facet/status.h"

namespace facet::eval {

struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

struct ClusteringScores {
  PrecisionRecall bcubed;
  PrecisionRecall pairwise;
  int64_t items = 0;
  int64_t clusters = 0;
  int64_t identities = 0;
};

// `clusters[i]` and `identities[i]` label item i (any non-negative ints). kInvalidArgument if the
// lengths differ or are zero.
Result<ClusteringScores> ScoreClustering(std::span<const int> clusters,
                                         std::span<const int> identities);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_CLUSTERING_H_
