// RetinaFace-MobileNet0.25 (InsightFace's weights, npm retinaface@0.0.6, rewritten by
// tools/convert/retinaface2onnx.py) run on one region of an image at a chosen scale: boxes, scores
// and the 5 alignment landmarks. The net is fully convolutional: the region is resized by the
// scale and padded right and bottom to a multiple of 32; no letterboxing to a fixed size.
//
// Thread-safety: a RetinaFace owns its network and scratch buffers; use one per thread (Session).
#ifndef FACET_SRC_DETECT_RETINAFACE_H_
#define FACET_SRC_DETECT_RETINAFACE_H_

#include <array>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "detect/anchors.h"
#include "detect/detection.h"
#include "nn/network.h"

namespace facet::detect {

class RetinaFace {
 public:
  // The net's total stride: input sides are padded to a multiple of it.
  static constexpr int kAlignment = 32;
  // Largest input side accepted (memory: ~130 MB of activations at 4096 x 4096).
  static constexpr int kMaxInputSide = 4096;

  static Result<std::unique_ptr<RetinaFace>> Create(const nn::ModelFile& model);

  // Runs the detector on `region` of `image_bgr` (CV_8UC3) resized by `scale` (input pixels per
  // image pixel; the part of the region outside the image is black) and appends every anchor
  // scoring at least `score_threshold` to `detections`, in image coordinates, before
  // non-maximum suppression. kInvalidArgument when the scaled region exceeds kMaxInputSide.
  Status DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region, float scale,
                      float score_threshold, std::vector<Detection>* detections);

 private:
  RetinaFace(std::unique_ptr<nn::Network> network, std::array<int, 9> output_index)
      : network_(std::move(network)), output_index_(output_index) {}

  std::unique_ptr<nn::Network> network_;
  // Index in the network's outputs of cls, bbox, landmark for strides 32, 16, 8.
  std::array<int, 9> output_index_;
  // Scratch buffers reused across calls.
  cv::Mat shrunk_;
  cv::Mat resized_;
  cv::Mat canvas_;
  cv::Mat input_float_;
  std::vector<cv::Mat> outputs_;
  std::vector<Detection> found_;
};

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_RETINAFACE_H_
