#include "eval/verification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <opencv2/core.hpp>

namespace facet::eval {

double AccuracyAtThreshold(const std::vector<PairOutcome>& outcomes, double threshold) {
  if (outcomes.empty()) return 0;
  size_t correct = 0;
  for (const PairOutcome& o : outcomes) {
    if (!o.failed && ((o.similarity >= threshold) == o.same)) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(outcomes.size());
}

BestThreshold BestThresholdAccuracy(const std::vector<PairOutcome>& outcomes) {
  std::vector<const PairOutcome*> valid;
  size_t negatives = 0;
  for (const PairOutcome& o : outcomes) {
    if (o.failed) continue;
    valid.push_back(&o);
    if (!o.same) ++negatives;
  }
  BestThreshold best;
  if (outcomes.empty()) return best;
  std::sort(valid.begin(), valid.end(),
            [](const PairOutcome* a, const PairOutcome* b) { return a->similarity < b->similarity; });
  // Threshold below everything: all accepted; correct = positives.
  long long correct = static_cast<long long>(valid.size() - negatives);
  long long best_correct = correct;
  best.threshold = valid.empty() ? 0.0 : valid.front()->similarity - 1e-6;
  for (size_t i = 0; i < valid.size(); ++i) {
    // Moving the threshold above valid[i] rejects it.
    correct += valid[i]->same ? -1 : 1;
    const bool boundary = i + 1 == valid.size() || valid[i + 1]->similarity != valid[i]->similarity;
    if (boundary && correct > best_correct) {
      best_correct = correct;
      best.threshold = i + 1 < valid.size()
                           ? (static_cast<double>(valid[i]->similarity) + valid[i + 1]->similarity) / 2
                           : valid[i]->similarity + 1e-6;
    }
  }
  best.accuracy = static_cast<double>(best_correct) / static_cast<double>(outcomes.size());
  return best;
}

TenFoldResult CrossValidatedAccuracy(const std::vector<PairOutcome>& outcomes) {
  TenFoldResult result;
  int folds = 0;
  for (const PairOutcome& o : outcomes) folds = std::max(folds, o.fold + 1);
  for (int k = 0; k < folds; ++k) {
    std::vector<PairOutcome> train, test;
    for (const PairOutcome& o : outcomes) (o.fold == k ? test : train).push_back(o);
    const double threshold = BestThresholdAccuracy(train).threshold;
    result.fold_threshold.push_back(threshold);
    result.fold_accuracy.push_back(AccuracyAtThreshold(test, threshold));
  }
  if (folds == 0) return result;
  result.mean_accuracy =
      std::accumulate(result.fold_accuracy.begin(), result.fold_accuracy.end(), 0.0) / folds;
  result.mean_threshold =
      std::accumulate(result.fold_threshold.begin(), result.fold_threshold.end(), 0.0) / folds;
  double squares = 0;
  for (double a : result.fold_accuracy) squares += (a - result.mean_accuracy) * (a - result.mean_accuracy);
  result.std_accuracy = folds > 1 ? std::sqrt(squares / (folds - 1)) : 0.0;
  return result;
}

namespace {

// Impostor similarities, highest first (failed impostors are not in the list but counted).
std::vector<float> SortedImpostors(const std::vector<PairOutcome>& outcomes, size_t* impostor_count) {
  std::vector<float> impostors;
  *impostor_count = 0;
  for (const PairOutcome& o : outcomes) {
    if (o.same) continue;
    ++*impostor_count;
    if (!o.failed) impostors.push_back(o.similarity);
  }
  std::sort(impostors.begin(), impostors.end(), std::greater<>());
  return impostors;
}

double ShareAbove(const std::vector<PairOutcome>& outcomes, double threshold, bool same) {
  size_t total = 0, above = 0;
  for (const PairOutcome& o : outcomes) {
    if (o.same != same) continue;
    ++total;
    if (!o.failed && o.similarity > threshold) ++above;
  }
  return total > 0 ? static_cast<double>(above) / static_cast<double>(total) : 0.0;
}

}  // namespace

TarAtFarResult TarAtFar(const std::vector<PairOutcome>& outcomes, double far) {
  TarAtFarResult result;
  size_t impostor_count = 0;
  const std::vector<float> impostors = SortedImpostors(outcomes, &impostor_count);
  const double allowed = far * static_cast<double>(impostor_count);
  result.resolvable = allowed >= 1.0;
  const size_t k = static_cast<size_t>(std::floor(allowed));
  result.threshold = k < impostors.size() ? impostors[k] : (impostors.empty() ? 0.0 : impostors.back() - 1e-6);
  result.tar = ShareAbove(outcomes, result.threshold, true);
  result.far_achieved = ShareAbove(outcomes, result.threshold, false);
  return result;
}

std::vector<RocPoint> RocCurve(const std::vector<PairOutcome>& outcomes, int max_points) {
  size_t impostor_count = 0;
  const std::vector<float> impostors = SortedImpostors(outcomes, &impostor_count);
  std::vector<RocPoint> curve;
  if (impostors.empty()) return curve;
  const double min_far = 1.0 / static_cast<double>(impostor_count);
  for (int i = 0; i < max_points; ++i) {
    const double far = min_far * std::pow(1.0 / min_far, static_cast<double>(i) / (max_points - 1));
    const TarAtFarResult r = TarAtFar(outcomes, far);
    if (!curve.empty() && curve.back().threshold == r.threshold) continue;
    curve.push_back({r.far_achieved, r.tar, r.threshold});
  }
  return curve;
}

CalibrationResult CalibrateThresholds(const std::vector<float>& embeddings, int count, int dim,
                                      const std::vector<int>& labels, const std::vector<double>& fmrs) {
  CalibrationResult result;
  if (count < 2 || static_cast<int>(labels.size()) != count ||
      embeddings.size() != static_cast<size_t>(count) * dim) {
    return result;
  }
  const cv::Mat rows(count, dim, CV_32F, const_cast<float*>(embeddings.data()));
  std::vector<float> impostors, genuine;
  impostors.reserve(static_cast<size_t>(count) * (count - 1) / 2);
  constexpr int kBlock = 512;
  cv::Mat block;
  for (int start = 0; start < count; start += kBlock) {
    const int end = std::min(count, start + kBlock);
    // Similarities of rows [start, end) with rows [start, count).
    cv::gemm(rows.rowRange(start, end), rows.rowRange(start, count), 1.0, cv::noArray(), 0.0, block,
             cv::GEMM_2_T);
    for (int i = start; i < end; ++i) {
      const float* sims = block.ptr<float>(i - start);
      for (int j = i + 1; j < count; ++j) {
        (labels[i] == labels[j] ? genuine : impostors).push_back(sims[j - start]);
      }
    }
  }
  result.genuine_pairs = static_cast<long long>(genuine.size());
  result.impostor_pairs = static_cast<long long>(impostors.size());
  std::sort(genuine.begin(), genuine.end());
  for (double fmr : fmrs) {
    Calibration c;
    c.fmr = fmr;
    const size_t k = static_cast<size_t>(std::floor(fmr * static_cast<double>(impostors.size())));
    if (k < impostors.size()) {
      std::nth_element(impostors.begin(), impostors.begin() + static_cast<long>(k), impostors.end(),
                       std::greater<>());
      c.threshold = impostors[k];
    }
    const auto rejected = std::upper_bound(genuine.begin(), genuine.end(), static_cast<float>(c.threshold));
    c.fnmr = genuine.empty() ? 0.0
                             : static_cast<double>(rejected - genuine.begin()) / static_cast<double>(genuine.size());
    result.points.push_back(c);
  }
  return result;
}

}  // namespace facet::eval
