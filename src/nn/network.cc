#include "nn/network.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "nn/nhwc_graph.h"
#include "nn/onnx.h"
#include "nn/opencv_network.h"
#include "nn/xnnpack_network.h"

namespace facet::nn {

Result<Backend> ParseBackend(std::string_view name) {
  if (name == "xnnpack") return Backend::kXnnpack;
  if (name == "opencv") return Backend::kOpenCv;
  return Status::InvalidArgument("unknown inference backend '" + std::string(name) +
                                 "' (known: xnnpack, opencv)");
}

const char* BackendName(Backend backend) {
  return backend == Backend::kOpenCv ? "opencv" : "xnnpack";
}

std::vector<std::string> BackendNames() { return {"xnnpack", "opencv"}; }

namespace {
// The size a symbolic input dimension is given when a model is checked at load time: a multiple
// of 32, as fully convolutional detectors with 5 stride-2 stages need.
constexpr int64_t kNominalInputSide = 64;
}  // namespace

ModelFile::ModelFile() = default;
ModelFile::~ModelFile() = default;

Result<std::shared_ptr<const ModelFile>> ModelFile::Read(const std::string& path,
                                                         const ModelOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": model file not found (run scripts/models.sh to fetch and "
                            "convert the models)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open model file");
  auto model = std::make_shared<ModelFile>();
  model->path_ = path;
  model->options_ = options;
  model->bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (model->bytes_.empty()) return Status::CorruptData(path + ": model file is empty");
  if (options.backend == Backend::kXnnpack) {
    auto parsed = onnx::Parse(model->bytes_.data(), model->bytes_.size());
    if (!parsed.ok()) return Status(parsed.status().code(), path + ": " + parsed.status().message());
    std::vector<int64_t> nominal;  // variable input size: check the lowering at a nominal one
    if (HasVariableInputSize(parsed.value())) {
      nominal = parsed.value().inputs.front().dims;
      for (size_t i = 1; i < nominal.size(); ++i) {
        if (nominal[i] <= 0) nominal[i] = kNominalInputSide;
      }
    }
    auto lowered = LowerToNhwc(parsed.value(), options.facet_kernels, nominal);
    if (!lowered.ok()) {
      return Status(lowered.status().code(), path + ": " + lowered.status().message());
    }
    model->nhwc_graph_ = std::make_shared<const NhwcGraph>(std::move(lowered).value());
    if (!nominal.empty()) {
      model->onnx_model_ = std::make_shared<const onnx::Model>(std::move(parsed).value());
    }
  }
  return std::shared_ptr<const ModelFile>(std::move(model));
}

Result<std::unique_ptr<Network>> Network::Create(const ModelFile& model) {
  if (model.options().backend == Backend::kXnnpack) return CreateXnnpackNetwork(model);
  return CreateOpenCvNetwork(model);
}

}  // namespace facet::nn
