// Five-point landmarks from MTCNN's O-Net, run on a square crop around each detected face.
//
// Thread-safety: owns a network and scratch buffers; one per Session.
#ifndef FACET_SRC_LANDMARKS_ONET_H_
#define FACET_SRC_LANDMARKS_ONET_H_

#include <array>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "facet/types.h"
#include "nn/network.h"

namespace facet::landmarks {

struct OnetResult {
  std::array<Point, 5> points{};  // image-left eye, image-right eye, nose, mouth left, mouth right
  float face_probability = 0;     // O-Net's own face/non-face score
};

class Onet {
 public:
  static constexpr int kInputSize = 48;

  static Result<std::unique_ptr<Onet>> Create(const nn::ModelFile& model);

  // Runs O-Net on the square crop around each box (side = max(w, h) * crop_scale, same centre)
  // in one batch. `results` gets one entry per box.
  Status Run(const cv::Mat& image_bgr, const std::vector<Box>& boxes,
             std::vector<OnetResult>* results);

  // The square crop used for `box`, in whole image pixels (may extend past the image).
  static cv::Rect CropForBox(const Box& box);

 private:
  explicit Onet(std::unique_ptr<nn::Network> network) : network_(std::move(network)) {}

  std::unique_ptr<nn::Network> network_;
  std::vector<cv::Mat> crops_;
  cv::Mat canvas_;  // a crop that extends past the image, padded
  cv::Mat blob_;
  std::vector<cv::Mat> outputs_;
};

}  // namespace facet::landmarks

#endif  // FACET_SRC_LANDMARKS_ONET_H_
