#include "quality/quality.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace facet::quality {
namespace {

// QualityScore's least-squares fit of the genuine similarity on LFW View 1 (docs/quality.md):
// the similarity expected at the references, and its change per unit of each signal.
constexpr double kExpectedSimilarity = 0.6342;
constexpr double kNormWeight = 0.5367;     // per unit of ln(feature norm)
constexpr double kMirrorWeight = 3.5861;   // per unit of mirror agreement
constexpr double kMirrorReference = 0.96;  // LFW's 10th percentile is 0.958, its median 0.976
constexpr double kLogitWeight = 0.0515;    // per unit of the detector's logit
// The fit's residual (standard deviation) and MobileFaceNet's FMR-1e-3 threshold.
constexpr double kResidual = 0.1430;
constexpr double kThresholdFmr1e3 = 0.4507;

}  // namespace

float Sharpness(const cv::Mat& aligned_crop) {
  if (aligned_crop.empty()) return 0;
  cv::Mat gray;
  if (aligned_crop.channels() == 3) {
    cv::cvtColor(aligned_crop, gray, cv::COLOR_BGR2GRAY);
  } else {
    gray = aligned_crop;
  }
  // The central half: eyes, nose and mouth, not the background.
  const cv::Rect centre(gray.cols / 4, gray.rows / 4, gray.cols / 2, gray.rows / 2);
  cv::Mat laplacian;
  cv::Laplacian(gray(centre), laplacian, CV_32F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(laplacian, mean, stddev);
  return static_cast<float>(stddev[0] * stddev[0]);
}

float QualityScore(float detector_score, const RecognizerSignals& recognizer,
                   const QualityThresholds& t) {
  const double p = std::clamp(static_cast<double>(detector_score), 1e-6, 1 - 1e-6);
  double expected = kExpectedSimilarity +
                    kMirrorWeight * (recognizer.mirror_agreement - kMirrorReference) +
                    kLogitWeight * (std::log(p / (1 - p)) - t.score_centre);
  if (recognizer.feature_norm > 0 && t.feature_norm_reference > 0) {
    expected += kNormWeight * (std::log(recognizer.feature_norm) - t.feature_norm_reference);
  }
  // A logistic stand-in for the normal distribution's CDF (1.7: their slopes match).
  const double z = 1.7 * (expected - kThresholdFmr1e3) / kResidual;
  return static_cast<float>(1 / (1 + std::exp(-z)));
}

Quality AssessQuality(const Box& box, float detector_score,
                      const std::array<Point, 68>& landmarks68, const cv::Mat& aligned_crop,
                      const RecognizerSignals& recognizer, const QualityThresholds& t) {
  return AssessQuality(box, detector_score, EstimateHeadPose(landmarks68), aligned_crop, recognizer,
                       t);
}

Quality AssessQuality(const Box& box, float detector_score, const Pose& pose,
                      const cv::Mat& aligned_crop, const RecognizerSignals& recognizer,
                      const QualityThresholds& t) {
  Quality q;
  q.yaw_degrees = pose.yaw_degrees;
  q.pitch_degrees = pose.pitch_degrees;
  q.roll_degrees = pose.roll_degrees;
  q.face_size = std::min(box.width, box.height);
  q.sharpness = Sharpness(aligned_crop);
  q.mirror_agreement = recognizer.mirror_agreement;
  q.feature_norm = recognizer.feature_norm;
  q.score = QualityScore(detector_score, recognizer, t);
  const bool hard_low = q.face_size < t.min_face_size || q.sharpness < t.min_sharpness ||
                        std::abs(q.yaw_degrees) > t.max_yaw ||
                        std::abs(q.pitch_degrees) > t.max_pitch;
  if (hard_low || q.score < t.min_score_medium) {
    q.level = QualityLevel::kLow;
  } else if (q.score >= t.min_score_high && q.face_size >= t.min_face_size_high) {
    q.level = QualityLevel::kHigh;
  } else {
    q.level = QualityLevel::kMedium;
  }
  return q;
}

}  // namespace facet::quality
