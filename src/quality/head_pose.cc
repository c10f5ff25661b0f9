#include "quality/head_pose.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/core.hpp>

namespace facet::quality {
namespace {

constexpr double kRadToDeg = 180.0 / std::numbers::pi;
// The points solved for: brows 17-26, nose 27-35, eyes 36-47. Not the mouth (a smile or speech
// moves it) nor the jaw line (on a turned face the far side's outline is a silhouette, not fixed
// points of the face: with it, the pose set's profiles read 8 degrees less turned).
constexpr int kFirstPoint = 17;
constexpr int kLastPoint = 47;
constexpr int kPointCount = kLastPoint - kFirstPoint + 1;

struct CanonicalPoint {
  int index;
  float weight, x, y, z;
};
constexpr CanonicalPoint kCanonical[] = {
#include "quality/face_mesh_canonical.inc"
};

// MediaPipe's canonical face in units of the height h from the eyes' midpoint (centres of the eye
// contours) to the mouth's (corners 61, 291): tools/pose/face_mesh_canonical.py --five-points.
constexpr double kEyeDistance = 0.9047;  // between the eye centres
constexpr double kNoseDepth = 0.5002;    // nose tip (point 1) in front of the eyes-mouth line
constexpr double kNoseDown = 0.5397;     // nose tip's place along the line, from the eyes
constexpr double kNoseDepthFromEyes = 0.5511;  // nose tip in front of the eyes
constexpr double kMouthDepthFromEyes = 0.0942;  // mouth's midpoint in front of the eyes

// R = Rz(roll) Rx(pitch) Ry(-yaw), R taking the face model's frame to the camera's: yaw and
// pitch turn the face, roll then turns the image, so rotating a photo changes roll alone. R's
// last row is Rx Ry's: (-cos p sin a, sin p, cos p cos a) with a = -yaw; roll from the middle
// column.
Pose PoseFromRotation(const cv::Matx33d& r) {
  Pose pose;
  pose.pitch_degrees = static_cast<float>(std::asin(std::clamp(r(2, 1), -1.0, 1.0)) * kRadToDeg);
  pose.yaw_degrees = static_cast<float>(std::atan2(r(2, 0), r(2, 2)) * kRadToDeg);
  pose.roll_degrees = static_cast<float>(std::atan2(-r(0, 1), r(1, 1)) * kRadToDeg);
  return pose;
}

}  // namespace

const std::array<std::array<float, 3>, 68>& FaceShape68() {
  static const std::array<std::array<float, 3>, 68> kShape = {{
#include "quality/face_shape68.inc"
  }};
  return kShape;
}

Pose EstimateHeadPose(const std::array<Point, 68>& landmarks68) {
  const auto& shape = FaceShape68();
  // Centre the model points and the image points.
  cv::Vec3d model_mean(0, 0, 0);
  cv::Vec2d image_mean(0, 0);
  for (int i = kFirstPoint; i <= kLastPoint; ++i) {
    model_mean += cv::Vec3d(shape[i][0], shape[i][1], shape[i][2]) / kPointCount;
    image_mean += cv::Vec2d(landmarks68[i].x, landmarks68[i].y) / kPointCount;
  }
  cv::Mat model(kPointCount, 3, CV_64F), image(kPointCount, 2, CV_64F);
  for (int i = 0; i < kPointCount; ++i) {
    const auto& s = shape[kFirstPoint + i];
    for (int c = 0; c < 3; ++c) model.at<double>(i, c) = s[c] - model_mean[c];
    image.at<double>(i, 0) = landmarks68[kFirstPoint + i].x - image_mean[0];
    image.at<double>(i, 1) = landmarks68[kFirstPoint + i].y - image_mean[1];
  }
  // Scaled orthographic camera (a face far from the camera compared with its depth): the 2x3
  // projection A minimising |model A^T - image|, then the nearest scaled rotation rows.
  cv::Mat projection;  // 3x2 = A^T
  if (!cv::solve(model, image, projection, cv::DECOMP_SVD)) return {};
  const cv::SVD svd(projection.t(), cv::SVD::FULL_UV);  // A = U W V^T, U 2x2, V^T 3x3
  if (!(svd.w.at<double>(1) > 1e-9 * std::max(1.0, svd.w.at<double>(0)))) return {};
  const cv::Mat rows = svd.u * svd.vt.rowRange(0, 2);  // 2x3, orthonormal rows
  const cv::Vec3d x_axis(rows.at<double>(0, 0), rows.at<double>(0, 1), rows.at<double>(0, 2));
  const cv::Vec3d y_axis(rows.at<double>(1, 0), rows.at<double>(1, 1), rows.at<double>(1, 2));
  if (x_axis.cross(y_axis)[2] == 0 && cv::norm(x_axis) < 0.5) return {};
  // Camera axes in the model's frame are the rows; the model's axes in the camera's frame are the
  // columns of R = [x_axis; y_axis; x_axis x y_axis].
  const cv::Vec3d z_axis = x_axis.cross(y_axis);
  return PoseFromRotation(cv::Matx33d(x_axis[0], x_axis[1], x_axis[2], y_axis[0], y_axis[1],
                                      y_axis[2], z_axis[0], z_axis[1], z_axis[2]));
}

Pose EstimateHeadPoseFromMesh(const MeshPoints& mesh) {
  // Weighted means of the canonical points and of the mesh's.
  double total = 0;
  cv::Vec3d model_mean(0, 0, 0), mesh_mean(0, 0, 0);
  for (const CanonicalPoint& c : kCanonical) {
    const auto& p = mesh[c.index];
    model_mean += c.weight * cv::Vec3d(c.x, c.y, c.z);
    mesh_mean += c.weight * cv::Vec3d(p[0], p[1], p[2]);
    total += c.weight;
  }
  model_mean /= total;
  mesh_mean /= total;
  // Weighted orthogonal Procrustes (Kabsch): the rotation R maximising sum w (R m) . p over the
  // centred points, from the SVD of H = sum w m p^T; R = V diag(1, 1, det(V U^T)) U^T.
  cv::Matx33d h = cv::Matx33d::zeros();
  for (const CanonicalPoint& c : kCanonical) {
    const auto& p = mesh[c.index];
    const cv::Vec3d m = cv::Vec3d(c.x, c.y, c.z) - model_mean;
    const cv::Vec3d q = cv::Vec3d(p[0], p[1], p[2]) - mesh_mean;
    h += c.weight * (m * q.t());
  }
  cv::Mat w, u, vt;
  cv::SVD::compute(cv::Mat(h), w, u, vt, cv::SVD::FULL_UV);
  if (!(w.at<double>(1) > 1e-9 * std::max(1e-300, w.at<double>(0)))) return {};
  const cv::Matx33d uu(u), v = cv::Matx33d(vt).t();
  const double d = cv::determinant(v * uu.t()) < 0 ? -1.0 : 1.0;
  return PoseFromRotation(v * cv::Matx33d::diag({1.0, 1.0, d}) * uu.t());
}

Pose EstimateHeadPoseFromFivePoints(const std::array<Point, 5>& five) {
  const double eyes_x = (five[kLeftEye].x + five[kRightEye].x) / 2.0;
  const double eyes_y = (five[kLeftEye].y + five[kRightEye].y) / 2.0;
  const double down_x = (five[kMouthLeft].x + five[kMouthRight].x) / 2.0 - eyes_x;
  const double down_y = (five[kMouthLeft].y + five[kMouthRight].y) / 2.0 - eyes_y;
  const double h = std::hypot(down_x, down_y);
  if (!(h > 0)) return {};
  // Yaw in the frame of the eyes-mouth line: across it (to the image's right on an upright face),
  // in units of h.
  const double ux = down_y / h, uy = -down_x / h;
  const auto across = [&](double x, double y) { return (x * ux + y * uy) / h; };
  const double nose_x = five[kNose].x - eyes_x, nose_y = five[kNose].y - eyes_y;
  const double eye_distance =
      std::abs(across(five[kRightEye].x - five[kLeftEye].x, five[kRightEye].y - five[kLeftEye].y));
  const double yaw = std::atan2(across(nose_x, nose_y) / kNoseDepth, eye_distance / kEyeDistance);
  // The mouth is nearer the camera than the eyes, so on a turned face the line leans towards the
  // turn by atan(kMouthDepthFromEyes sin(yaw)): the face's own "down" is the line turned back.
  const double down = std::atan2(down_y, down_x) + std::atan(kMouthDepthFromEyes * std::sin(yaw));
  const double nose_down = (nose_x * std::cos(down) + nose_y * std::sin(down)) / h;
  Pose pose;
  pose.yaw_degrees = static_cast<float>(yaw * kRadToDeg);
  // Tilting the face down by p moves a point at depth z (towards the camera) down by z sin p:
  // nose_down = (kNoseDown cos p + kNoseDepthFromEyes sin p) / (cos p + kMouthDepthFromEyes sin p).
  pose.pitch_degrees = static_cast<float>(
      std::atan2(nose_down - kNoseDown, kNoseDepthFromEyes - kMouthDepthFromEyes * nose_down) *
      kRadToDeg);
  // "Down" points straight down on an upright face; roll turns it clockwise.
  pose.roll_degrees = static_cast<float>(std::remainder(down * kRadToDeg - 90, 360.0));
  return pose;
}

HeadPose ChooseHeadPose(const Pose& mesh, float mesh_face_score, const Pose& five_points) {
  const bool failed =
      !(mesh_face_score >= kMinMeshFaceScore) ||
      std::abs(std::remainder(mesh.roll_degrees - five_points.roll_degrees, 360.0)) > 90;
  const bool strong_turn = std::abs(five_points.yaw_degrees) >= kNoseOutsideEyesYaw;
  const bool contradicted =
      strong_turn && (std::abs(mesh.yaw_degrees) < kNoseOutsideEyesYaw ||
                      (mesh.yaw_degrees > 0) != (five_points.yaw_degrees > 0));
  if (failed || contradicted) return {five_points, PoseMethod::kFivePoints};
  return {mesh, PoseMethod::kMesh};
}

}  // namespace facet::quality
