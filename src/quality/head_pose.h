// Head pose (yaw, pitch, roll): from MediaPipe's face mesh (468 points with depth) by a rigid
// fit of its canonical face (what the engine uses), or from 68 landmarks against a 3D face shape
// under a scaled orthographic camera (the POS step of POSIT; the pose before issue 15).
// Pure functions; thread-safe.
#ifndef FACET_SRC_QUALITY_HEAD_POSE_H_
#define FACET_SRC_QUALITY_HEAD_POSE_H_

#include <array>

#include "facet/types.h"

namespace facet::quality {

struct Pose {
  // Degrees; 0, 0, 0 is a face looking straight at the camera (the mean pose of LFW's
  // development faces). yaw > 0: the face turns towards the image's right (the subject's left);
  // pitch > 0: the face tilts down; roll > 0: the face leans clockwise as seen in the image.
  float yaw_degrees = 0;
  float pitch_degrees = 0;
  float roll_degrees = 0;
};

// The 3D face shape the pose is solved against: 68 points in the iBUG order, x right, y down,
// z away from the camera, outer eye corners 90 units apart; learned from 2D landmarks by
// tools/pose/learn_face_shape.py (docs/quality.md).
const std::array<std::array<float, 3>, 68>& FaceShape68();

// Solves the rotation of FaceShape68() that projects onto `landmarks68` (image pixels) by a
// scaled orthographic camera (least-squares projection, then the nearest rotation), using the
// brows, nose and eyes (not the mouth, which a smile or speech moves, nor the jaw line). All zero
// if the points are degenerate.
Pose EstimateHeadPose(const std::array<Point, 68>& landmarks68);

// MediaPipe FaceMesh's 468 points with depth (x right, y down, z away from the camera, one scale).
using MeshPoints = std::array<std::array<float, 3>, 468>;

// The rotation of MediaPipe's canonical face that best fits `mesh` (weighted orthogonal
// Procrustes on the 33 points and weights MediaPipe's own geometry pipeline uses; scale and
// translation free). 0, 0, 0 is the canonical face looking straight at the camera. All zero if
// the points are degenerate.
Pose EstimateHeadPoseFromMesh(const MeshPoints& mesh);

}  // namespace facet::quality

#endif  // FACET_SRC_QUALITY_HEAD_POSE_H_
