// The head pose from MediaPipe's face mesh, on its own canonical face turned by known angles.
#include "quality/head_pose.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

namespace facet::quality {
namespace {

constexpr double kDegToRad = CV_PI / 180;

struct CanonicalPoint {
  int index;
  float weight, x, y, z;
};
constexpr CanonicalPoint kCanonical[] = {
#include "quality/face_mesh_canonical.inc"
};

// Rz(roll) Rx(pitch) Ry(-yaw) (the signs of Pose).
cv::Matx33d Rotation(double yaw, double pitch, double roll) {
  const double a = -yaw * kDegToRad, b = pitch * kDegToRad, g = roll * kDegToRad;
  const cv::Matx33d ry(std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a));
  const cv::Matx33d rx(1, 0, 0, 0, std::cos(b), -std::sin(b), 0, std::sin(b), std::cos(b));
  const cv::Matx33d rz(std::cos(g), -std::sin(g), 0, std::sin(g), std::cos(g), 0, 0, 0, 1);
  return rz * rx * ry;
}

// A mesh whose basis points are the canonical face turned, scaled to pixels and moved; the other
// points are left at a far-away constant (the fit must not read them).
MeshPoints Turned(double yaw, double pitch, double roll, double scale = 9.0) {
  MeshPoints mesh;
  mesh.fill({1000, -1000, 500});
  const cv::Matx33d r = Rotation(yaw, pitch, roll);
  for (const CanonicalPoint& c : kCanonical) {
    const cv::Vec3d p = r * cv::Vec3d(c.x, c.y, c.z);
    mesh[c.index] = {static_cast<float>(320 + scale * p[0]), static_cast<float>(240 + scale * p[1]),
                     static_cast<float>(scale * p[2] - 40)};
  }
  return mesh;
}

TEST(MeshHeadPoseTest, CanonicalFaceIsSymmetricWithTheNoseInFront) {
  float nose_z = 0, eye_z = 0;
  for (const CanonicalPoint& c : kCanonical) {
    if (c.index == 4) nose_z = c.z;
    if (c.index == 33) eye_z = c.z;
    if (c.x == 0) continue;
    int partners = 0;  // the mirror point: same weight, y and z, opposite x
    for (const CanonicalPoint& d : kCanonical) {
      if (d.weight == c.weight && d.x == -c.x && d.y == c.y && d.z == c.z) ++partners;
    }
    EXPECT_EQ(partners, 1) << c.index;
  }
  EXPECT_LT(nose_z, eye_z - 3);  // centimetres: the nose tip nearer the camera than the eyes
}

TEST(MeshHeadPoseTest, RecoversKnownRotationsToProfiles) {
  struct Case {
    double yaw, pitch, roll;
  };
  for (const Case& c :
       {Case{0, 0, 0}, Case{30, 0, 0}, Case{-60, 0, 0}, Case{85, 0, 0}, Case{-80, 10, 0},
        Case{0, 25, 0}, Case{0, -25, 0}, Case{0, 0, 40}, Case{20, -10, 15}, Case{-70, 5, -30}}) {
    const Pose pose = EstimateHeadPoseFromMesh(Turned(c.yaw, c.pitch, c.roll));
    EXPECT_NEAR(pose.yaw_degrees, c.yaw, 0.01) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.pitch_degrees, c.pitch, 0.01) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.roll_degrees, c.roll, 0.01) << c.yaw << " " << c.pitch << " " << c.roll;
  }
}

TEST(MeshHeadPoseTest, ScaleAndPlaceDoNotMatter) {
  const Pose near = EstimateHeadPoseFromMesh(Turned(40, -12, 8, 20.0));
  const Pose far = EstimateHeadPoseFromMesh(Turned(40, -12, 8, 2.5));
  EXPECT_NEAR(near.yaw_degrees, far.yaw_degrees, 0.01);
  EXPECT_NEAR(near.pitch_degrees, far.pitch_degrees, 0.01);
  EXPECT_NEAR(near.roll_degrees, far.roll_degrees, 0.01);
}

// The 5 landmarks of MediaPipe's canonical face (eye centres, nose tip, mouth corners; units of
// the eyes-to-mouth height; tools/pose/face_mesh_canonical.py --five-points) turned by known
// angles and seen by an orthographic camera, at 80 px a unit, in facet's order (image-left
// first).
std::array<Point, 5> FivePoints(double yaw, double pitch, double roll) {
  const cv::Vec3d model[5] = {{-0.45235, 0, 0},      {0.45235, 0, 0},     {0, 0.5397, -0.5511},
                              {-0.35160, 1, -0.0942}, {0.35160, 1, -0.0942}};
  const cv::Matx33d r = Rotation(yaw, pitch, roll);
  std::array<Point, 5> five;
  for (int i = 0; i < 5; ++i) {
    const cv::Vec3d p = r * model[i];
    five[i] = {static_cast<float>(300 + 80 * p[0]), static_cast<float>(200 + 80 * p[1])};
  }
  return five;
}

TEST(FivePointHeadPoseTest, RecoversTurnsOfTheCanonicalFace) {
  struct Case {
    double yaw, pitch, roll;
  };
  for (const Case& c : {Case{0, 0, 0}, Case{20, 0, 0}, Case{-35, 0, 0}, Case{60, 0, 0},
                        Case{-75, 0, 0}, Case{0, 20, 0}, Case{0, -25, 0}, Case{0, 0, 35},
                        Case{0, 0, -150}, Case{30, 10, 20}}) {
    const Pose pose = EstimateHeadPoseFromFivePoints(FivePoints(c.yaw, c.pitch, c.roll));
    // Exact for a turn about one axis; the model ignores how pitch and yaw mix (a few tenths of
    // a degree at 30 and 10, 1.4 degrees of pitch).
    EXPECT_NEAR(pose.yaw_degrees, c.yaw, 1) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.pitch_degrees, c.pitch, 2) << c.yaw << " " << c.pitch << " " << c.roll;
    EXPECT_NEAR(pose.roll_degrees, c.roll, 1) << c.yaw << " " << c.pitch << " " << c.roll;
  }
}

TEST(FivePointHeadPoseTest, NoseOutsideTheEyesIsAStrongTurn) {
  // An upright face, eyes 40 px apart, mouth 60 px below them: the nose just inside the right
  // eye, just outside it, and both eyes bunched on one side (a profile's guessed points).
  std::array<Point, 5> five = {{{100, 100}, {140, 100}, {139, 130}, {105, 160}, {135, 160}}};
  EXPECT_GT(EstimateHeadPoseFromFivePoints(five).yaw_degrees, 20);
  EXPECT_LT(EstimateHeadPoseFromFivePoints(five).yaw_degrees, kNoseOutsideEyesYaw);
  five[kNose] = {141, 130};
  EXPECT_GE(EstimateHeadPoseFromFivePoints(five).yaw_degrees, kNoseOutsideEyesYaw);
  five[kNose] = {99, 130};  // the other side
  EXPECT_LE(EstimateHeadPoseFromFivePoints(five).yaw_degrees, -kNoseOutsideEyesYaw);
  five = {{{120, 100}, {121, 100}, {150, 130}, {125, 160}, {127, 160}}};
  EXPECT_GT(EstimateHeadPoseFromFivePoints(five).yaw_degrees, 85);
}

TEST(FivePointHeadPoseTest, DegeneratePointsGiveZero) {
  std::array<Point, 5> same;
  same.fill({5, 5});
  const Pose pose = EstimateHeadPoseFromFivePoints(same);
  EXPECT_EQ(pose.yaw_degrees, 0);
  EXPECT_EQ(pose.pitch_degrees, 0);
  EXPECT_EQ(pose.roll_degrees, 0);
}

Pose Angles(float yaw, float pitch, float roll) {
  Pose pose;
  pose.yaw_degrees = yaw;
  pose.pitch_degrees = pitch;
  pose.roll_degrees = roll;
  return pose;
}

TEST(ChooseHeadPoseTest, TheMeshUnlessItFailedOrTheFivePointsContradictIt) {
  struct Case {
    Pose mesh;
    float face_score;
    Pose five;
    PoseMethod expected;
  };
  const Case cases[] = {
      // Agreement, or no strong turn in the 5 points: the mesh.
      {Angles(12, 3, 2), 0.99f, Angles(18, -5, 4), PoseMethod::kMesh},
      {Angles(5, 3, 2), 0.99f, Angles(-38, -5, 4), PoseMethod::kMesh},
      {Angles(-55, 3, 2), 0.99f, Angles(-70, -5, 4), PoseMethod::kMesh},
      // The 5 points show the nose outside the eyes; the mesh reads less, or the other way.
      {Angles(25, 3, 2), 0.99f, Angles(61, -5, 4), PoseMethod::kFivePoints},
      {Angles(-41, 3, 2), 0.99f, Angles(-kNoseOutsideEyesYaw, -5, 4), PoseMethod::kFivePoints},
      {Angles(50, 3, 2), 0.99f, Angles(-80, -5, 4), PoseMethod::kFivePoints},
      // The mesh found no face in its crop, or was fitted upside down.
      {Angles(10, 3, 2), 0.2f, Angles(15, -5, 4), PoseMethod::kFivePoints},
      {Angles(3, 3, 170), 0.99f, Angles(15, -5, -5), PoseMethod::kFivePoints},
      {Angles(3, 3, -175), 0.99f, Angles(15, -5, 175), PoseMethod::kMesh},  // 10 degrees apart
  };
  for (const Case& c : cases) {
    const HeadPose chosen = ChooseHeadPose(c.mesh, c.face_score, c.five);
    EXPECT_EQ(chosen.method, c.expected) << c.mesh.yaw_degrees << " " << c.five.yaw_degrees;
    const Pose& expected = c.expected == PoseMethod::kMesh ? c.mesh : c.five;
    EXPECT_EQ(chosen.pose.yaw_degrees, expected.yaw_degrees);
    EXPECT_EQ(chosen.pose.pitch_degrees, expected.pitch_degrees);
    EXPECT_EQ(chosen.pose.roll_degrees, expected.roll_degrees);
  }
}

TEST(MeshHeadPoseTest, DegeneratePointsGiveZero) {
  MeshPoints same;
  same.fill({5, 5, 5});
  const Pose pose = EstimateHeadPoseFromMesh(same);
  EXPECT_EQ(pose.yaw_degrees, 0);
  EXPECT_EQ(pose.pitch_degrees, 0);
  EXPECT_EQ(pose.roll_degrees, 0);
}

}  // namespace
}  // namespace facet::quality
