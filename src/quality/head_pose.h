// Head pose (yaw, pitch, roll): from MediaPipe's face mesh (468 points with depth) by a rigid
// fit of its canonical face (what the engine uses), checked against the geometry of the 5
// landmarks (which replaces it where the mesh failed); or from 68 landmarks against a 3D face
// shape under a scaled orthographic camera (the POS step of POSIT; the pose before issue 15).
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

// The pose the 5 landmarks (facet's order) imply on MediaPipe's canonical face, seen by a scaled
// orthographic camera. In the frame of the line from the eyes' midpoint to the mouth's (its length
// h; unchanged by yaw): the nose tip, 0.50 h in front of that line, moves sideways by
// 0.50 h sin(yaw); the eyes, 0.905 h apart, close up to 0.905 h cos(yaw): yaw = atan2(nose offset
// / 0.50, eye distance / 0.905), the sign the nose's side. Pitch from how far down that line the
// nose tip sits (0.54 of it on the canonical face), roll from the line's angle (less the lean a
// turn gives it: the mouth is 0.09 h nearer the camera than the eyes). Where the mesh
// measures, this only sees: the points of a profile bunch up and are placed by guess. All zero
// if the eyes and mouth coincide.
Pose EstimateHeadPoseFromFivePoints(const std::array<Point, 5>& five);

// The yaw (degrees) at which the nose tip of the canonical face passes the eye on its side:
// atan(0.4524 / 0.5002). At or beyond it in EstimateHeadPoseFromFivePoints, the nose tip lies
// beyond the eye on its side, outside the eyes-mouth quadrilateral: a strong turn.
inline constexpr float kNoseOutsideEyesYaw = 42.12f;

// MediaPipe's face mesh reports whether it found a face in its crop (FaceMeshResult::face_score);
// below this the mesh is taken as failed. MediaPipe's own tracking drops a face below 0.5.
inline constexpr float kMinMeshFaceScore = 0.5f;

struct HeadPose {
  Pose pose;
  PoseMethod method = PoseMethod::kNone;
};

// The pose of a face: the mesh's, unless the mesh failed or the 5 points contradict it, then the
// 5 points' (method kFivePoints). The mesh failed: its face score is under kMinMeshFaceScore, or
// its roll is more than 90 degrees from the 5 points' (fitted upside down). The 5 points
// contradict it: they show a strong turn (abs(yaw) >= kNoseOutsideEyesYaw: the nose tip outside
// the eyes) while the mesh reads abs(yaw) under kNoseOutsideEyesYaw, or a turn the other way.
HeadPose ChooseHeadPose(const Pose& mesh, float mesh_face_score, const Pose& five_points);

}  // namespace facet::quality

#endif  // FACET_SRC_QUALITY_HEAD_POSE_H_
