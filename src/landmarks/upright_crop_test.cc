// UprightCrop: the crop the 68-point net and the face mesh first run on, turned upright by the
// 5 landmarks.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "landmarks/landmarks68.h"

namespace facet::landmarks {
namespace {

constexpr double kDeg = std::numbers::pi / 180;

// Turns the points of an upright face about (100, 100) clockwise (as seen) by `degrees`.
std::array<Point, 5> Turned(std::array<Point, 5> five, double degrees) {
  const double c = std::cos(degrees * kDeg), s = std::sin(degrees * kDeg);
  for (Point& p : five) {
    const double x = p.x - 100, y = p.y - 100;
    p = {static_cast<float>(100 + c * x - s * y), static_cast<float>(100 + s * x + c * y)};
  }
  return five;
}

TEST(UprightCropTest, TurnedByTheEyeLine) {
  // Eyes 40 px apart, mouth 50 px below: the crop follows the eye line, which may lean a little
  // from the eyes-mouth line (a tilted head, a crooked smile).
  const std::array<Point, 5> face = {{{80, 80}, {120, 84}, {100, 105}, {85, 130}, {115, 130}}};
  for (const double degrees : {0.0, 30.0, -70.0, 160.0}) {
    const FaceCrop crop = UprightCrop(Turned(face, degrees), 3.0f, 0.0f);
    const double eye_line = std::atan2(4.0, 40.0) / kDeg + degrees;
    EXPECT_NEAR(std::remainder(crop.angle_radians / kDeg - eye_line, 360.0), 0, 1e-3) << degrees;
    EXPECT_NEAR(crop.centre.x, Turned(face, degrees)[kNose].x, 30) << degrees;
  }
}

TEST(UprightCropTest, AProfilesSwappedEyesDoNotTurnTheCropUpsideDown) {
  // On a profile the two eye points bunch up and may come out in the other order: the eye line
  // then points the wrong way. The eyes-mouth line decides instead; the crop stays upright.
  const std::array<Point, 5> profile = {{{112, 80}, {104, 81}, {130, 100}, {106, 130}, {110, 130}}};
  for (const double degrees : {0.0, 25.0, -40.0, 180.0}) {
    const FaceCrop crop = UprightCrop(Turned(profile, degrees), 3.0f, 0.0f);
    // The eyes-mouth line, (108, 80.5) -> (108, 130), points straight down before the turn.
    EXPECT_NEAR(std::remainder(crop.angle_radians / kDeg - degrees, 360.0), 0, 1e-3) << degrees;
  }
}

}  // namespace
}  // namespace facet::landmarks
