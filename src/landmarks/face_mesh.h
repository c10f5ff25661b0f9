// MediaPipe FaceMesh: 468 face points with depth (x, y in image pixels, z in pixels of the same
// scale, growing away from the camera), from Google's face_landmark.tflite converted to ONNX
// (docs/models.md). Run as MediaPipe runs it: first on a square crop turned upright by the eye
// line of the 5 landmarks (or by the eyes-to-mouth line where the eye line is off: UprightCrop;
// the face with a margin of half its size), then on the crop its own
// tracking takes around the mesh found.
//
// Thread-safety: owns a network and scratch buffers; one per Session.
#ifndef FACET_SRC_LANDMARKS_FACE_MESH_H_
#define FACET_SRC_LANDMARKS_FACE_MESH_H_

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "facet/types.h"
#include "landmarks/landmarks68.h"
#include "nn/network.h"

namespace facet::landmarks {

struct FaceMeshResult {
  std::array<std::array<float, 3>, 468> points;  // x, y, z
  float face_score = 0;  // the network's own "a face is in the crop" probability
};

struct FaceMeshOptions {
  // Crop side in eye-to-mouth heights (as Landmarks68Options; the eye distance / 0.87 when
  // larger), centred halfway between eyes and mouth, moved down by `crop_shift_down` of it.
  // MediaPipe crops 1.5 x the longer side of the box around its 468 points; on its canonical face
  // (eye and mouth corners 6.97 cm apart in height) that box is 17.67 cm tall and centred 0.04 of
  // the eye-to-mouth height above their midpoint: 3.8 and -0.04.
  float crop_scale = 3.8f;
  float crop_shift_down = -0.04f;
  // Runs again on CropAround(the mesh found), as MediaPipe's tracking does frame after frame,
  // until the crop settles (centre and side within `converged` of the side) or after
  // `refine_passes` more runs: the first crop comes from 5 points that bunch up on a profile, and
  // the mesh, hence the pose, depends on the crop (docs/quality.md).
  int refine_passes = 3;
  float converged = 0.02f;
};

class FaceMesh {
 public:
  static constexpr int kInputSize = 192;
  static constexpr int kPointCount = 468;

  static Result<std::unique_ptr<FaceMesh>> Create(const nn::ModelFile& model,
                                                  const FaceMeshOptions& options = {});

  FaceCrop CropFor(const std::array<Point, 5>& five) const;

  // MediaPipe's own tracking crop from a mesh: turned by the line of the outer eye corners (points
  // 33, 263), 1.5 x the longer side of the box around the 468 points (in that turned frame),
  // centred on it.
  static FaceCrop CropAround(const FaceMeshResult& mesh);

  // The mesh of each face (one crop per face, then refine_passes more on CropAround), in image
  // coordinates.
  Status Run(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
             std::vector<FaceMeshResult>* results);

 private:
  FaceMesh(std::unique_ptr<nn::Network> network, const FaceMeshOptions& options)
      : network_(std::move(network)), options_(options) {}

  Status RunOnce(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
                 std::vector<FaceMeshResult>* results);

  std::unique_ptr<nn::Network> network_;
  FaceMeshOptions options_;
  std::vector<FaceCrop> refined_, previous_;
  std::vector<cv::Mat> crops_;
  std::vector<cv::Matx23d> transforms_;
  cv::Mat blob_;
  std::vector<cv::Mat> outputs_;
};

}  // namespace facet::landmarks

#endif  // FACET_SRC_LANDMARKS_FACE_MESH_H_
