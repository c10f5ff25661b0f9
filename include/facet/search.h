// Searches over a caller's list of templates, without a store: find-similar and clustering of
// unlabeled faces (photo libraries). Nothing is stored or audited; no person is named.
//
// Thread-safety: pure functions.
#ifndef FACET_SEARCH_H_
#define FACET_SEARCH_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "facet/engine.h"
#include "facet/status.h"
#include "facet/types.h"

namespace facet {

struct FindSimilarOptions {
  // At most this many results, most similar first. 1..1000, default 20.
  int max_results = 20;
  // Only faces at least this similar. Default: the recognizer's FMR-1e-3 threshold ("the same
  // person" at that error rate). Set to -1 to rank every face.
  std::optional<float> min_similarity{};
};

struct SimilarFace {
  int index = 0;  // position in the candidate list
  float similarity = 0;
  float confidence = 0;  // SimilarityToConfidence
};

// The candidates most similar to `probe`. kInvalidArgument if a template's model or size differs
// from the probe's or from `recognizer`.
Result<std::vector<SimilarFace>> FindSimilar(const Embedding& probe,
                                             std::span<const Embedding> candidates,
                                             const RecognizerInfo& recognizer,
                                             const FindSimilarOptions& options = {});

struct ClusterOptions {
  // Faces at least this similar are linked. Default: the similarity at which the expected number
  // of false links per face is `false_links_per_face`, i.e. the threshold at a false-match rate of
  // false_links_per_face / (faces - 1), extrapolated log-linearly from the recognizer's two
  // calibrated points (FMR 1e-3 and 1e-4) and never below the FMR-1e-3 threshold. The more faces,
  // the stricter: with all pairs compared, a fixed threshold would chain strangers together.
  std::optional<float> threshold{};
  double false_links_per_face = 0.1;
  // Chinese Whispers iterations cap and random seed (the result is deterministic for a seed).
  int max_iterations = 50;
  uint64_t seed = 1;
};

struct Clustering {
  // Cluster of each face, 0 = the largest cluster. A face alike to no other is alone in its own.
  std::vector<int> labels{};
  int clusters = 0;
  float threshold = 0;
};

// Groups faces by identity without a cluster count (Chinese Whispers over the graph of pairs at
// least `threshold` similar; docs/galleries.md). Up to 100,000 faces.
Result<Clustering> ClusterFaces(std::span<const Embedding> faces, const RecognizerInfo& recognizer,
                                const ClusterOptions& options = {});

}  // namespace facet

#endif  // FACET_SEARCH_H_
