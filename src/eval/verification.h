// Verification (1:1) metrics: the LFW 10-fold protocol, accuracy at a threshold, TAR at FAR,
// ROC, and threshold calibration at a false-match rate over all impostor pairs of a set.
// Pure functions; thread-safe.
#ifndef FACET_SRC_EVAL_VERIFICATION_H_
#define FACET_SRC_EVAL_VERIFICATION_H_

#include <string>
#include <vector>

namespace facet::eval {

struct PairOutcome {
  float similarity = 0;
  bool same = false;
  // A face was not found (or an image failed) on one side: the pair counts as an error at every
  // threshold; it is never dropped.
  bool failed = false;
  int fold = 0;
};

// A pair is accepted as "same" when similarity >= threshold.
double AccuracyAtThreshold(const std::vector<PairOutcome>& outcomes, double threshold);

struct BestThreshold {
  double threshold = 0;
  double accuracy = 0;
};
// The threshold (a midpoint between neighbouring similarities) that maximises accuracy.
BestThreshold BestThresholdAccuracy(const std::vector<PairOutcome>& outcomes);

struct TenFoldResult {
  double mean_accuracy = 0;
  double std_accuracy = 0;  // sample standard deviation (n - 1) over the folds
  double mean_threshold = 0;
  std::vector<double> fold_accuracy;
  std::vector<double> fold_threshold;
};
// LFW "unrestricted" protocol: for each fold, the threshold is chosen on the other folds and
// applied to it. Folds are taken from PairOutcome::fold (0..max).
TenFoldResult CrossValidatedAccuracy(const std::vector<PairOutcome>& outcomes);

struct TarAtFarResult {
  double tar = 0;         // genuine pairs accepted / all genuine pairs (failed ones rejected)
  double threshold = 0;   // accept when similarity > threshold
  double far_achieved = 0;
  bool resolvable = false;  // far * impostor pairs >= 1
};
// The threshold is the (floor(far * I) + 1)-th highest impostor similarity (I = impostor pairs,
// failed ones included as never-accepted); pairs strictly above it are accepted.
TarAtFarResult TarAtFar(const std::vector<PairOutcome>& outcomes, double far);

struct RocPoint {
  double far = 0;
  double tar = 0;
  double threshold = 0;
};
// One point per distinct impostor similarity (at most `max_points`, log-spaced in FAR).
std::vector<RocPoint> RocCurve(const std::vector<PairOutcome>& outcomes, int max_points = 200);

struct Calibration {
  double fmr = 0;
  double threshold = 0;  // accept when similarity > threshold
  double fnmr = 0;       // genuine pairs at or below the threshold
};
struct CalibrationResult {
  std::vector<Calibration> points;
  long long genuine_pairs = 0;
  long long impostor_pairs = 0;
};
// Over every pair of rows of `embeddings` (row-major, `count` x `dim`, L2-normalised): pairs with
// equal labels are genuine, others impostor. For each FMR, the threshold that at most that share
// of impostor pairs exceeds, and the FNMR there.
CalibrationResult CalibrateThresholds(const std::vector<float>& embeddings, int count, int dim,
                                      const std::vector<int>& labels, const std::vector<double>& fmrs);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_VERIFICATION_H_
