// Neural-network inference behind one small interface.
//
// ModelFile: the bytes of one ONNX model, read and checked once per process; immutable and
// shareable across threads. Network: one runnable instance created from a ModelFile; it owns the
// backend's scratch buffers, so it is NOT thread-safe: each Session owns its own Networks.
// Today the only backend is OpenCV DNN 4.6 (CPU).
#ifndef FACET_SRC_NN_NETWORK_H_
#define FACET_SRC_NN_NETWORK_H_

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "facet/status.h"

namespace facet::nn {

class ModelFile {
 public:
  // Reads `path` fully. kNotFound if it is missing (with a hint to run scripts/models.sh).
  static Result<std::shared_ptr<const ModelFile>> Read(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<uchar>& bytes() const { return bytes_; }

 private:
  std::string path_;
  std::vector<uchar> bytes_;
};

class Network {
 public:
  // Parses `model` (which must outlive nothing: the network copies what it needs).
  static Result<std::unique_ptr<Network>> Create(const ModelFile& model);

  // Runs the network on `input` (a 4-D float blob in the layout the model expects) and fills
  // `outputs` with one Mat per name in output_names() order. The Mats alias the network's
  // buffers and stay valid until the next Forward call.
  Status Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs);

  const std::vector<std::string>& output_names() const { return output_names_; }

 private:
  Network() = default;
  cv::dnn::Net net_;
  std::vector<std::string> output_names_;
  std::string model_path_;
};

}  // namespace facet::nn

#endif  // FACET_SRC_NN_NETWORK_H_
