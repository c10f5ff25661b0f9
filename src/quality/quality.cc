#include "quality/quality.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace facet::quality {
namespace {

// QualityScore's fit (docs/quality.md): degrees of |yaw| + |pitch| worth one unit of the
// detector's logit.
constexpr double kPoseWeight = 0.02;
// Logits per unit of mirror agreement, and the agreement that adds nothing (LFW's 10th
// percentile is 0.958, its median 0.976).
constexpr double kMirrorWeight = 60;
constexpr double kMirrorReference = 0.96;

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

float QualityScore(float detector_score, const Pose& pose, float mirror_agreement,
                   float score_centre) {
  const double p = std::clamp(static_cast<double>(detector_score), 1e-6, 1 - 1e-6);
  const double z = std::log(p / (1 - p)) -
                   kPoseWeight * (std::abs(pose.yaw_degrees) + std::abs(pose.pitch_degrees)) +
                   kMirrorWeight * (mirror_agreement - kMirrorReference) - score_centre;
  return static_cast<float>(1 / (1 + std::exp(-z)));
}

Quality AssessQuality(const Box& box, float detector_score, const std::array<Point, 68>& landmarks68,
                      const cv::Mat& aligned_crop, float mirror_agreement,
                      const QualityThresholds& t) {
  Quality q;
  const Pose pose = EstimateHeadPose(landmarks68);
  q.yaw_degrees = pose.yaw_degrees;
  q.pitch_degrees = pose.pitch_degrees;
  q.roll_degrees = pose.roll_degrees;
  q.face_size = std::min(box.width, box.height);
  q.sharpness = Sharpness(aligned_crop);
  q.mirror_agreement = mirror_agreement;
  q.score = QualityScore(detector_score, pose, mirror_agreement, t.score_centre);
  const bool hard_low = q.face_size < t.min_face_size || q.sharpness < t.min_sharpness ||
                        std::abs(q.yaw_degrees) > t.max_yaw || std::abs(q.pitch_degrees) > t.max_pitch;
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
