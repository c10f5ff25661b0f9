// BlazeFace 256 ("back" model) run on one square-letterboxed region of an image.
//
// Thread-safety: a BlazeFace owns its network and scratch buffers; use one per thread (Session).
#ifndef FACET_SRC_DETECT_BLAZEFACE_H_
#define FACET_SRC_DETECT_BLAZEFACE_H_

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "detect/anchors.h"
#include "detect/detection.h"
#include "nn/network.h"

namespace facet::detect {

class BlazeFace {
 public:
  static constexpr int kInputSize = 256;

  static Result<std::unique_ptr<BlazeFace>> Create(const nn::ModelFile& model);

  // Runs the detector on `region` of `image_bgr` (CV_8UC3), letterboxed into the 256x256 input,
  // and appends every anchor whose score is at least `score_threshold` to `detections`, in image
  // coordinates, before non-maximum suppression.
  Status DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region, float score_threshold,
                      std::vector<Detection>* detections);

 private:
  explicit BlazeFace(std::unique_ptr<nn::Network> network);

  std::unique_ptr<nn::Network> network_;
  std::vector<Anchor> anchors_;
  // Scratch buffers reused across calls.
  cv::Mat shrunk_;
  cv::Mat resized_;
  cv::Mat letterboxed_;
  cv::Mat input_float_;
  std::vector<cv::Mat> outputs_;
};

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_BLAZEFACE_H_
