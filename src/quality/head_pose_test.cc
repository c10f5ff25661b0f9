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
