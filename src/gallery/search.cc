// Find-similar and clustering over caller-supplied templates (facet/search.h).
#include "facet/search.h"

#include <algorithm>
#include <cmath>

#include "index/cluster.h"
#include "index/vector_index.h"

namespace facet {
namespace {

Status CheckSameModel(const Embedding& e, const RecognizerInfo& recognizer, const char* what) {
  if (e.model != recognizer.name || e.values.size() != static_cast<size_t>(recognizer.dimensions)) {
    return Status::InvalidArgument(std::string(what) + " comes from model '" + e.model + "' (" +
                                   std::to_string(e.values.size()) + " values), not '" +
                                   recognizer.name + "' (" +
                                   std::to_string(recognizer.dimensions) + ")");
  }
  return Status::Ok();
}

// log10 FMR falls linearly with the threshold between (and, extrapolated, beyond) the two
// calibrated points.
float ClusterThreshold(const RecognizerInfo& recognizer, size_t faces, double false_links) {
  const double t3 = recognizer.threshold_fmr_1e3;
  const double t4 = recognizer.threshold_fmr_1e4;
  const double fmr = false_links / static_cast<double>(std::max<size_t>(faces, 2) - 1);
  if (fmr >= 1e-3 || !(t4 > t3)) return static_cast<float>(t3);
  return static_cast<float>(t3 + (t4 - t3) * (-std::log10(fmr) - 3.0));
}

}  // namespace

Result<std::vector<SimilarFace>> FindSimilar(const Embedding& probe,
                                             std::span<const Embedding> candidates,
                                             const RecognizerInfo& recognizer,
                                             const FindSimilarOptions& options) {
  if (options.max_results < 1 || options.max_results > 1000) {
    return Status::InvalidArgument("max_results must be 1..1000");
  }
  FACET_RETURN_IF_ERROR(CheckSameModel(probe, recognizer, "the probe"));
  const int dims = recognizer.dimensions;
  auto index = index::NewExactIndex(dims, index::IndexKind::kExactF32);
  std::vector<int64_t> ids(candidates.size());
  std::vector<float> vectors;
  vectors.reserve(candidates.size() * dims);
  for (size_t i = 0; i < candidates.size(); ++i) {
    FACET_RETURN_IF_ERROR(CheckSameModel(candidates[i], recognizer,
                                         ("candidate " + std::to_string(i)).c_str()));
    ids[i] = static_cast<int64_t>(i);
    vectors.insert(vectors.end(), candidates[i].values.begin(), candidates[i].values.end());
  }
  FACET_RETURN_IF_ERROR(index->Add(ids, vectors));
  std::vector<index::SearchHit> hits;
  index->Search(probe.values, options.max_results, &hits);
  const float minimum = options.min_similarity.value_or(recognizer.threshold_fmr_1e3);
  std::vector<SimilarFace> out;
  for (const index::SearchHit& hit : hits) {
    if (hit.similarity < minimum) break;
    out.push_back({static_cast<int>(hit.id), hit.similarity,
                   SimilarityToConfidence(hit.similarity, recognizer)});
  }
  return out;
}

Result<Clustering> ClusterFaces(std::span<const Embedding> faces, const RecognizerInfo& recognizer,
                                const ClusterOptions& options) {
  if (options.max_iterations < 1) return Status::InvalidArgument("max_iterations must be >= 1");
  if (!(options.false_links_per_face > 0)) {
    return Status::InvalidArgument("false_links_per_face must be positive");
  }
  std::vector<float> vectors;
  vectors.reserve(faces.size() * recognizer.dimensions);
  for (size_t i = 0; i < faces.size(); ++i) {
    FACET_RETURN_IF_ERROR(
        CheckSameModel(faces[i], recognizer, ("face " + std::to_string(i)).c_str()));
    vectors.insert(vectors.end(), faces[i].values.begin(), faces[i].values.end());
  }
  index::ChineseWhispersOptions cw;
  cw.threshold = options.threshold.value_or(
      ClusterThreshold(recognizer, faces.size(), options.false_links_per_face));
  cw.max_iterations = options.max_iterations;
  cw.seed = options.seed;
  Clustering out;
  out.threshold = cw.threshold;
  if (faces.empty()) return out;
  auto labels = index::ChineseWhispers(vectors, recognizer.dimensions, cw);
  if (!labels.ok()) return labels.status();
  out.labels = std::move(labels).value();
  out.clusters = *std::max_element(out.labels.begin(), out.labels.end()) + 1;
  return out;
}

}  // namespace facet
