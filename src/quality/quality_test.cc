#include "quality/quality.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "align/align.h"

namespace facet::quality {
namespace {

std::array<Point, 5> Template() { return align::ArcFaceTemplate112(); }

TEST(PoseTest, FrontalTemplateIsNearZero) {
  const Pose pose = EstimatePose(Template());
  EXPECT_NEAR(pose.yaw_degrees, 0, 2);
  EXPECT_NEAR(pose.pitch_degrees, 0, 2);
  EXPECT_NEAR(pose.roll_degrees, 0, 1);
}

TEST(PoseTest, RollFollowsRotation) {
  auto lm = Template();
  const float a = 20 * static_cast<float>(CV_PI) / 180;
  for (Point& p : lm) p = {std::cos(a) * p.x - std::sin(a) * p.y, std::sin(a) * p.x + std::cos(a) * p.y};
  const Pose pose = EstimatePose(lm);
  EXPECT_NEAR(pose.roll_degrees, 20, 0.5);
  EXPECT_NEAR(pose.yaw_degrees, 0, 2);  // rotation alone is not yaw
}

TEST(PoseTest, NoseShiftIsYawAndSignFollowsIt) {
  auto lm = Template();
  lm[kNose].x += 12;  // nose towards the image-right eye
  const Pose right = EstimatePose(lm);
  EXPECT_GT(right.yaw_degrees, 20);
  lm[kNose].x -= 24;
  EXPECT_LT(EstimatePose(lm).yaw_degrees, -20);
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
  auto lm = Template();
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.95f, lm, sharp).level, QualityLevel::kHigh);
  EXPECT_EQ(AssessQuality({0, 0, 60, 60}, 0.95f, lm, sharp).level, QualityLevel::kMedium);
  EXPECT_EQ(AssessQuality({0, 0, 20, 20}, 0.95f, lm, sharp).level, QualityLevel::kLow);
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.3f, lm, sharp).level, QualityLevel::kLow);
  cv::Mat flat(112, 112, CV_8UC3, cv::Scalar::all(128));
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.95f, lm, flat).level, QualityLevel::kLow);
  lm[kNose].x += 25;  // strongly turned head
  EXPECT_EQ(AssessQuality({0, 0, 150, 150}, 0.95f, lm, sharp).level, QualityLevel::kLow);
}

}  // namespace
}  // namespace facet::quality
