#include "quality/quality.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "quality/head_pose.h"

namespace facet::quality {
namespace {

constexpr double kDegToRad = CV_PI / 180;

// FaceShape68() turned by yaw, pitch and roll (degrees; the signs of Pose) and projected
// orthographically at `scale` pixels per unit around (200, 200).
std::array<Point, 68> Projected(double yaw, double pitch, double roll, double scale = 1.5) {
  const double a = -yaw * kDegToRad, b = pitch * kDegToRad, g = roll * kDegToRad;
  const cv::Matx33d ry(std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a));
  const cv::Matx33d rx(1, 0, 0, 0, std::cos(b), -std::sin(b), 0, std::sin(b), std::cos(b));
  const cv::Matx33d rz(std::cos(g), -std::sin(g), 0, std::sin(g), std::cos(g), 0, 0, 0, 1);
  const cv::Matx33d r = rz * rx * ry;
  std::array<Point, 68> points;
  for (int i = 0; i < 68; ++i) {
    const auto& s = FaceShape68()[i];
    const cv::Vec3d p = r * cv::Vec3d(s[0], s[1], s[2]);
    points[i] = {static_cast<float>(200 + scale * p[0]), static_cast<float>(200 + scale * p[1])};
  }
  return points;
}

// The iBUG 68-point scheme's left/right correspondence (a mirrored face renumbered).
constexpr std::array<int, 68> kMirror = {
    16, 15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0,  26, 25, 24, 23, 22, 21,
    20, 19, 18, 17, 27, 28, 29, 30, 35, 34, 33, 32, 31, 45, 44, 43, 42, 47, 46, 39, 38, 37, 36,
    41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60, 67, 66, 65};

TEST(HeadPoseTest, FaceShapeIsSymmetricWithTheNoseInFront) {
  const auto& shape = FaceShape68();
  for (int i = 0; i < 68; ++i) {
    EXPECT_NEAR(shape[i][0], -shape[kMirror[i]][0], 0.02) << i;
    EXPECT_NEAR(shape[i][1], shape[kMirror[i]][1], 0.02) << i;
    EXPECT_NEAR(shape[i][2], shape[kMirror[i]][2], 0.02) << i;
  }
  EXPECT_NEAR(std::hypot(shape[45][0] - shape[36][0], shape[45][1] - shape[36][1]), 90, 0.1);
  EXPECT_LT(shape[30][2], shape[36][2] - 30);  // the nose tip nearer the camera than the eyes
}

TEST(HeadPoseTest, RecoversKnownRotations) {
  struct Case {
    double yaw, pitch, roll;
  };
  for (const Case& c : {Case{0, 0, 0}, Case{30, 0, 0}, Case{-60, 0, 0}, Case{0, 25, 0},
                        Case{0, -25, 0}, Case{0, 0, 40}, Case{20, -10, 15}}) {
    const Pose pose = EstimateHeadPose(Projected(c.yaw, c.pitch, c.roll));
    EXPECT_NEAR(pose.yaw_degrees, c.yaw, 1.5) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.pitch_degrees, c.pitch, 1.5) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.roll_degrees, c.roll, 1.5) << c.yaw << " " << c.pitch << " " << c.roll;
  }
}

TEST(HeadPoseTest, MirrorFlipsYawAndRollNotPitch) {
  const std::array<Point, 68> points = Projected(35, 10, 12);
  std::array<Point, 68> mirrored;
  for (int i = 0; i < 68; ++i) mirrored[i] = {400 - points[kMirror[i]].x, points[kMirror[i]].y};
  const Pose pose = EstimateHeadPose(points), flipped = EstimateHeadPose(mirrored);
  EXPECT_NEAR(flipped.yaw_degrees, -pose.yaw_degrees, 0.5);
  EXPECT_NEAR(flipped.pitch_degrees, pose.pitch_degrees, 0.5);
  EXPECT_NEAR(flipped.roll_degrees, -pose.roll_degrees, 0.5);
}

TEST(HeadPoseTest, SmileDoesNotTiltTheHead) {
  std::array<Point, 68> points = Projected(0, 0, 0);
  for (int i = 48; i < 68; ++i) points[i].y += (i == 48 || i == 54) ? -12 : 6;  // corners up
  const Pose pose = EstimateHeadPose(points);
  EXPECT_NEAR(pose.pitch_degrees, 0, 1);
  EXPECT_NEAR(pose.yaw_degrees, 0, 1);
}

TEST(HeadPoseTest, DegeneratePointsGiveZero) {
  std::array<Point, 68> same;
  same.fill({5, 5});
  const Pose pose = EstimateHeadPose(same);
  EXPECT_EQ(pose.yaw_degrees, 0);
  EXPECT_EQ(pose.pitch_degrees, 0);
}

TEST(SharpnessTest, BlurLowersSharpness) {
  cv::Mat noise(112, 112, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat blurred;
  cv::GaussianBlur(noise, blurred, cv::Size(0, 0), 3);
  EXPECT_GT(Sharpness(noise), 10 * Sharpness(blurred));
  EXPECT_EQ(Sharpness(cv::Mat()), 0);
}

TEST(QualityTest, LevelsFollowTheRules) {
  cv::Mat sharp(112, 112, CV_8UC3);
  cv::randu(sharp, cv::Scalar::all(0), cv::Scalar::all(255));
  const auto frontal = Projected(0, 0, 0);
  QualityThresholds mobilefacenet;
  mobilefacenet.feature_norm_reference = 4.2605f;
  const RecognizerSignals clear{0.97f, 70.84f};  // the reference norm
  const Quality sure = AssessQuality({0, 0, 150, 150}, 0.999f, frontal, sharp, clear, mobilefacenet);
  EXPECT_EQ(sure.level, QualityLevel::kHigh);
  // At the reference norm: s = 0.6342 + 3.5861 * 0.01 + 0.0515 * (ln 999 - 3.5).
  const double s = 0.6342 + 3.5861 * 0.01 + 0.0515 * (std::log(999.0) - 3.5);
  EXPECT_NEAR(sure.score, 1 / (1 + std::exp(-1.7 * (s - 0.4507) / 0.143)), 1e-4);
  EXPECT_FLOAT_EQ(sure.feature_norm, 70.84f);
  // A weak feature (a third of the typical norm: ln 3 = 1.1 lower) is a likely false non-match.
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.999f, frontal, sharp, {0.97f, 23.6f}, mobilefacenet)
                .level,
            QualityLevel::kLow);
  // The recognizer disagreeing with itself on the mirrored face (an occluded or odd face).
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.999f, frontal, sharp, {0.85f, 70.84f}, mobilefacenet)
                .level,
            QualityLevel::kLow);
  // Without a reference for the recognizer the norm term is left out (same as at the reference).
  EXPECT_NEAR(AssessQuality({0, 0, 150, 150}, 0.999f, frontal, sharp, {0.97f, 5.0f}).score,
              sure.score, 1e-4);
  EXPECT_EQ(AssessQuality({0, 0, 60, 60}, 0.999f, frontal, sharp, clear, mobilefacenet).level,
            QualityLevel::kMedium);
  EXPECT_EQ(AssessQuality({0, 0, 20, 20}, 0.999f, frontal, sharp, clear, mobilefacenet).level,
            QualityLevel::kLow);
  cv::Mat flat(112, 112, CV_8UC3, cv::Scalar::all(128));
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.999f, frontal, flat, clear, mobilefacenet).level,
            QualityLevel::kLow);
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.999f, Projected(70, 0, 0), sharp, clear,
                          mobilefacenet)
                .level,
            QualityLevel::kLow);  // a profile, by the hard rule
  // The pose itself does not move the score (it predicted nothing on LFW's development pairs
  // once the recognizer's signals were in): a turned face is marked down through them.
  EXPECT_FLOAT_EQ(AssessQuality({0, 0, 150, 150}, 0.999f, Projected(30, 10, 0), sharp, clear,
                                mobilefacenet)
                      .score,
                  sure.score);
}

}  // namespace
}  // namespace facet::quality
