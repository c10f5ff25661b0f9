#include "nn/opencv_network.h"

#include <opencv2/dnn.hpp>

namespace facet::nn {
namespace {

class OpenCvNetwork final : public Network {
 public:
  OpenCvNetwork() : Network(Backend::kOpenCv) {}

  Status Init(const ModelFile& model) {
    model_path_ = model.path();
    try {
      net_ = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(model.bytes().data()),
                                      model.bytes().size());
      net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      output_names_ = net_.getUnconnectedOutLayersNames();
    } catch (const cv::Exception& e) {
      return Status::CorruptData(model.path() + ": cannot load ONNX model: " + e.what());
    }
    if (output_names_.empty()) return Status::CorruptData(model.path() + ": model has no outputs");
    return Status::Ok();
  }

  Status Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs) override {
    try {
      net_.setInput(input);
      net_.forward(*outputs, output_names_);
    } catch (const cv::Exception& e) {
      return Status::Internal(model_path_ + ": inference failed: " + e.what());
    }
    return Status::Ok();
  }

 private:
  cv::dnn::Net net_;
  std::string model_path_;
};

}  // namespace

Result<std::unique_ptr<Network>> CreateOpenCvNetwork(const ModelFile& model) {
  auto network = std::make_unique<OpenCvNetwork>();
  FACET_RETURN_IF_ERROR(network->Init(model));
  return std::unique_ptr<Network>(std::move(network));
}

}  // namespace facet::nn
