// A RetinaFace-family detector run on one region of an image at a chosen scale: boxes, scores
// and the 5 alignment landmarks. The built-in one is RetinaFace-MobileNet0.25 (InsightFace's
// weights, npm retinaface@0.0.6, rewritten by tools/convert/retinaface2onnx.py): fully
// convolutional, the region is resized by the scale and padded right and bottom to a multiple of
// 32. A registered detector (docs/models.md, "Adding a detector you have") describes its input and
// output maps with a RetinaFaceSpec; one of fixed input size sees the region scaled to fit its
// input (at most the given scale), padded right and bottom.
//
// Thread-safety: a RetinaFace owns its network and scratch buffers; use one per thread (Session).
#ifndef FACET_SRC_DETECT_RETINAFACE_H_
#define FACET_SRC_DETECT_RETINAFACE_H_

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "detect/anchors.h"
#include "detect/detection.h"
#include "nn/network.h"

namespace facet::detect {

// One output level: its stride, anchors and the names of its three maps.
struct RetinaFaceLevelSpec {
  int stride = 0;
  int anchors = 0;  // square anchors per cell, 1..kMaxAnchorsPerCell
  std::array<float, kMaxAnchorsPerCell> anchor_sizes{};  // sides in input pixels
  std::string scores, boxes, landmarks;                  // output names (landmarks empty: none)
};

// What a RetinaFace-family model takes and gives.
struct RetinaFaceSpec {
  std::vector<RetinaFaceLevelSpec> levels;
  RetinaFaceDecoding decoding;
  bool nchw_outputs = false;  // maps [1, C, h, w] (else NHWC [1, h, w, C])
  // Input: 4-D float, the image in `bgr` or RGB order, (pixel - mean[c]) * scale, mean in the
  // model's channel order.
  bool nchw_input = false;
  bool bgr = false;
  std::array<double, 3> mean = {127.5, 127.5, 127.5};
  double scale = 1.0 / 128;
  int multiple = 32;                      // variable size: sides padded to a multiple of this
  int fixed_width = 0, fixed_height = 0;  // > 0: a fixed input size
};

// The spec of facet's own retinaface_mnet025.onnx.
RetinaFaceSpec BuiltInRetinaFaceSpec();

class RetinaFace {
 public:
  // Largest input side accepted (memory: ~130 MB of activations at 4096 x 4096).
  static constexpr int kMaxInputSide = 4096;

  // kCorruptData when an output the spec names is missing.
  static Result<std::unique_ptr<RetinaFace>> Create(const nn::ModelFile& model,
                                                    const RetinaFaceSpec& spec);

  const RetinaFaceSpec& spec() const { return spec_; }

  // Runs the detector on `region` of `image_bgr` (CV_8UC3) resized by `scale` (input pixels per
  // image pixel; the part of the region outside the image is black) and appends every anchor
  // scoring at least `score_threshold` to `detections`, in image coordinates, before
  // non-maximum suppression. kInvalidArgument when the scaled region exceeds kMaxInputSide.
  Status DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region, float scale,
                      float score_threshold, std::vector<Detection>* detections);

 private:
  RetinaFace(std::unique_ptr<nn::Network> network, RetinaFaceSpec spec,
             std::vector<std::array<int, 3>> output_index)
      : network_(std::move(network)),
        spec_(std::move(spec)),
        output_index_(std::move(output_index)) {}

  // The map of `kind` (0 scores, 1 boxes, 2 landmarks) of `level` as NHWC floats, after checking
  // its shape; null when the level has no such map.
  Result<const float*> Map(size_t level, size_t kind, int height, int width, int channels);

  std::unique_ptr<nn::Network> network_;
  RetinaFaceSpec spec_;
  // Index in the network's outputs of the scores, boxes, landmarks of each level (-1: none).
  std::vector<std::array<int, 3>> output_index_;
  // Scratch buffers reused across calls.
  cv::Mat shrunk_;
  cv::Mat resized_;
  cv::Mat canvas_;
  cv::Mat input_float_;
  cv::Mat planar_;  // NCHW input
  std::vector<cv::Mat> outputs_;
  std::vector<cv::Mat> transposed_;  // NCHW outputs as NHWC
  std::vector<Detection> found_;
};

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_RETINAFACE_H_
