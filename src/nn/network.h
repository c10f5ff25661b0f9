// Neural-network inference behind one small interface, with two backends:
//   - XNNPACK (the default): the ONNX graph is lowered to NHWC operators (nn/nhwc_graph.h) and
//     run by XNNPACK's subgraph runtime (nn/xnnpack_network.cc);
//   - OpenCV DNN 4.6 (CPU): kept as the oracle the XNNPACK outputs are tested against.
// Both read the same ONNX files, so a model is converted once and tested once.
//
// ModelFile: one model read (and, for XNNPACK, parsed and lowered) once per process; immutable
// and shareable across threads. Network: one runnable instance created from a ModelFile; it owns
// the backend's runtime and buffers, so it is NOT thread-safe: each Session owns its own.
#ifndef FACET_SRC_NN_NETWORK_H_
#define FACET_SRC_NN_NETWORK_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "facet/status.h"

namespace facet::nn {

enum class Backend { kXnnpack, kOpenCv };

// "xnnpack" or "opencv"; anything else is kInvalidArgument listing the known names.
Result<Backend> ParseBackend(std::string_view name);
const char* BackendName(Backend backend);
// The names ParseBackend accepts, the default first.
std::vector<std::string> BackendNames();

struct ModelOptions {
  Backend backend = Backend::kOpenCv;
  // Threads one inference of a Network may use. XNNPACK: a thread pool of this size per Network
  // (0 or 1: the calling thread only). OpenCV: ignored here (its thread count is process-wide).
  int num_threads = 1;
  // XNNPACK backend: run what facet's own kernels cover (fused residual chains;
  // docs/inference.md) with them. false: XNNPACK operators only (for A/B benchmarks; outputs
  // agree within the same 1e-4).
  bool facet_kernels = true;
};

struct NhwcGraph;
namespace onnx {
struct Model;
}  // namespace onnx

class ModelFile {
 public:
  // Reads `path` fully. kNotFound if it is missing (with a hint to run scripts/models.sh). For
  // the XNNPACK backend the ONNX graph is parsed and lowered here, so an unsupported model fails
  // at load time, once, with the operator's name.
  static Result<std::shared_ptr<const ModelFile>> Read(const std::string& path,
                                                       const ModelOptions& options = {});

  ModelFile();
  ~ModelFile();
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<uchar>& bytes() const { return bytes_; }
  const ModelOptions& options() const { return options_; }
  // The lowered graph (XNNPACK backend only; null otherwise). For a model of variable input
  // size (symbolic height and width: a fully convolutional detector), lowered for a nominal size
  // (so that an unsupported operator still fails at load time); networks lower it again for each
  // input size they are given.
  const std::shared_ptr<const NhwcGraph>& nhwc_graph() const { return nhwc_graph_; }
  // The parsed model when its input size is variable (XNNPACK backend); null otherwise.
  const std::shared_ptr<const onnx::Model>& onnx_model() const { return onnx_model_; }

 private:
  std::string path_;
  std::vector<uchar> bytes_;
  ModelOptions options_;
  std::shared_ptr<const NhwcGraph> nhwc_graph_;
  std::shared_ptr<const onnx::Model> onnx_model_;
};

class Network {
 public:
  // A network of the model's backend (model.options().backend).
  static Result<std::unique_ptr<Network>> Create(const ModelFile& model);

  virtual ~Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Runs the network on `input` (a float blob in the layout the ONNX model declares, e.g. NCHW
  // [N, 3, H, W]; any H and W where the model declares them symbolic) and fills `outputs` with one Mat per name in output_names() order, shaped as
  // the ONNX model declares them. The Mats alias the network's buffers and stay valid until the
  // next Forward call.
  virtual Status Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs) = 0;

  const std::vector<std::string>& output_names() const { return output_names_; }
  Backend backend() const { return backend_; }

 protected:
  explicit Network(Backend backend) : backend_(backend) {}
  std::vector<std::string> output_names_;

 private:
  Backend backend_;
};

}  // namespace facet::nn

#endif  // FACET_SRC_NN_NETWORK_H_
