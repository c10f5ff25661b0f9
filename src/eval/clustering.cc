#include "eval/clustering.h"

#include <map>
#include <utility>

namespace facet::eval {
namespace {

PrecisionRecall Make(double precision, double recall) {
  PrecisionRecall pr{precision, recall, 0};
  if (precision + recall > 0) pr.f1 = 2 * precision * recall / (precision + recall);
  return pr;
}

}  // namespace

Result<ClusteringScores> ScoreClustering(std::span<const int> clusters,
                                         std::span<const int> identities) {
  if (clusters.size() != identities.size() || clusters.empty()) {
    return Status::InvalidArgument("cluster and identity labels must be non-empty and as many");
  }
  std::map<int, int64_t> cluster_size;
  std::map<int, int64_t> identity_size;
  std::map<std::pair<int, int>, int64_t> joint;  // (cluster, identity) -> items
  for (size_t i = 0; i < clusters.size(); ++i) {
    ++cluster_size[clusters[i]];
    ++identity_size[identities[i]];
    ++joint[{clusters[i], identities[i]}];
  }
  ClusteringScores scores;
  scores.items = static_cast<int64_t>(clusters.size());
  scores.clusters = static_cast<int64_t>(cluster_size.size());
  scores.identities = static_cast<int64_t>(identity_size.size());
  // BCubed: each of the `count` items of a (cluster, identity) cell has precision
  // count / |cluster| and recall count / |identity|.
  double precision_sum = 0;
  double recall_sum = 0;
  // Pairwise: pairs inside a cell are true positives.
  double true_pairs = 0;
  for (const auto& [cell, count] : joint) {
    const auto c = static_cast<double>(count);
    precision_sum += c * c / static_cast<double>(cluster_size[cell.first]);
    recall_sum += c * c / static_cast<double>(identity_size[cell.second]);
    true_pairs += c * (c - 1) / 2;
  }
  const auto n = static_cast<double>(scores.items);
  scores.bcubed = Make(precision_sum / n, recall_sum / n);
  double cluster_pairs = 0;
  double identity_pairs = 0;
  for (const auto& [label, count] : cluster_size) {
    cluster_pairs += static_cast<double>(count) * static_cast<double>(count - 1) / 2;
  }
  for (const auto& [label, count] : identity_size) {
    identity_pairs += static_cast<double>(count) * static_cast<double>(count - 1) / 2;
  }
  // With no predicted (or no true) pairs, precision (recall) is vacuously 1.
  scores.pairwise = Make(cluster_pairs > 0 ? true_pairs / cluster_pairs : 1.0,
                         identity_pairs > 0 ? true_pairs / identity_pairs : 1.0);
  return scores;
}

}  // namespace facet::eval
