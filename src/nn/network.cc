#include "nn/network.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace facet::nn {

Result<std::shared_ptr<const ModelFile>> ModelFile::Read(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": model file not found (run scripts/models.sh to fetch and "
                            "convert the models)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open model file");
  auto model = std::make_shared<ModelFile>();
  model->path_ = path;
  model->bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (model->bytes_.empty()) return Status::CorruptData(path + ": model file is empty");
  return std::shared_ptr<const ModelFile>(std::move(model));
}

Result<std::unique_ptr<Network>> Network::Create(const ModelFile& model) {
  std::unique_ptr<Network> network(new Network());
  network->model_path_ = model.path();
  try {
    network->net_ = cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(model.bytes().data()),
                                             model.bytes().size());
    network->net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    network->net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    network->output_names_ = network->net_.getUnconnectedOutLayersNames();
  } catch (const cv::Exception& e) {
    return Status::CorruptData(model.path() + ": cannot load ONNX model: " + e.what());
  }
  if (network->output_names_.empty()) {
    return Status::CorruptData(model.path() + ": model has no outputs");
  }
  return network;
}

Status Network::Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs) {
  try {
    net_.setInput(input);
    net_.forward(*outputs, output_names_);
  } catch (const cv::Exception& e) {
    return Status::Internal(model_path_ + ": inference failed: " + e.what());
  }
  return Status::Ok();
}

}  // namespace facet::nn
