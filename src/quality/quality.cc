#include "quality/quality.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

namespace facet::quality {
namespace {

constexpr float kRadToDeg = 180.0f / std::numbers::pi_v<float>;
// In the ArcFace template the nose sits 0.495 of the way from the eye line to the mouth line.
constexpr float kFrontalNoseHeight = 0.495f;
// Horizontal nose offset (in eye distances) at 90 degrees of yaw, and vertical offset (in
// eye-to-mouth distances) at 90 degrees of pitch: a rough head model.
constexpr float kYawLever = 0.6f;
constexpr float kPitchLever = 0.5f;

float AsinDegrees(float v) { return std::asin(std::clamp(v, -1.0f, 1.0f)) * kRadToDeg; }

}  // namespace

Pose EstimatePose(const std::array<Point, 5>& lm) {
  Pose pose;
  const float ex = lm[kRightEye].x - lm[kLeftEye].x;
  const float ey = lm[kRightEye].y - lm[kLeftEye].y;
  const float roll = std::atan2(ey, ex);
  pose.roll_degrees = roll * kRadToDeg;
  // Rotate everything by -roll about the left eye so the eye line is horizontal.
  const float c = std::cos(-roll), s = std::sin(-roll);
  std::array<Point, 5> p;
  for (size_t i = 0; i < lm.size(); ++i) {
    const float dx = lm[i].x - lm[kLeftEye].x, dy = lm[i].y - lm[kLeftEye].y;
    p[i] = {c * dx - s * dy, s * dx + c * dy};
  }
  const float eye_distance = std::max(1e-3f, p[kRightEye].x - p[kLeftEye].x);
  const float eye_y = (p[kLeftEye].y + p[kRightEye].y) / 2;
  const float mouth_y = (p[kMouthLeft].y + p[kMouthRight].y) / 2;
  const float midline_x =
      (p[kLeftEye].x + p[kRightEye].x + p[kMouthLeft].x + p[kMouthRight].x) / 4;
  pose.yaw_degrees = AsinDegrees((p[kNose].x - midline_x) / eye_distance / kYawLever);
  const float face_height = mouth_y - eye_y;
  if (std::abs(face_height) > 1e-3f) {
    const float nose_height = (p[kNose].y - eye_y) / face_height;
    pose.pitch_degrees = AsinDegrees((nose_height - kFrontalNoseHeight) / kPitchLever);
  }
  return pose;
}

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

Quality AssessQuality(const Box& box, float detector_score, const std::array<Point, 5>& landmarks,
                      const cv::Mat& aligned_crop, const QualityThresholds& t) {
  Quality q;
  const Pose pose = EstimatePose(landmarks);
  q.yaw_degrees = pose.yaw_degrees;
  q.pitch_degrees = pose.pitch_degrees;
  q.roll_degrees = pose.roll_degrees;
  q.face_size = std::min(box.width, box.height);
  q.sharpness = Sharpness(aligned_crop);
  const float yaw = std::abs(q.yaw_degrees), pitch = std::abs(q.pitch_degrees);
  const bool high = q.face_size >= t.min_face_size_high && yaw <= t.max_yaw_high &&
                    pitch <= t.max_pitch_high && q.sharpness >= t.min_sharpness_high &&
                    detector_score >= t.min_score_high;
  const bool medium = q.face_size >= t.min_face_size_medium && yaw <= t.max_yaw_medium &&
                      pitch <= t.max_pitch_medium && q.sharpness >= t.min_sharpness_medium &&
                      detector_score >= t.min_score_medium;
  q.level = high ? QualityLevel::kHigh : (medium ? QualityLevel::kMedium : QualityLevel::kLow);
  return q;
}

}  // namespace facet::quality
