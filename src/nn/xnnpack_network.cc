#include "nn/xnnpack_network.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "nn/nhwc_graph.h"

namespace facet::nn {
namespace {

using Kind = NhwcOp::Kind;

Status XnnError(const std::string& what, xnn_status status) {
  return Status::Internal("XNNPACK: " + what + " failed (status " +
                          std::to_string(static_cast<int>(status)) + ")");
}

struct PoolDeleter {
  void operator()(pthreadpool* pool) const { pthreadpool_destroy(pool); }
};
struct RuntimeDeleter {
  void operator()(xnn_runtime* runtime) const { xnn_delete_runtime(runtime); }
};
struct SubgraphDeleter {
  void operator()(xnn_subgraph* subgraph) const { xnn_delete_subgraph(subgraph); }
};

size_t Product(const std::vector<size_t>& dims) {
  size_t n = 1;
  for (size_t d : dims) n *= d;
  return n;
}

// Defines `op` in `subgraph`; value_ids / constant_ids map the graph's ids to the subgraph's.
Status DefineOp(xnn_subgraph_t subgraph, const NhwcGraph& g, const NhwcOp& op,
                const std::vector<uint32_t>& value_ids, const std::vector<uint32_t>& constant_ids,
                int batch) {
  auto in = [&](size_t i) { return value_ids[static_cast<size_t>(op.inputs[i])]; };
  auto constant = [&](int id) {
    return id < 0 ? XNN_INVALID_VALUE_ID : constant_ids[static_cast<size_t>(id)];
  };
  const uint32_t out = value_ids[static_cast<size_t>(op.output)];
  const auto pt = static_cast<uint32_t>(op.pad_top), pr = static_cast<uint32_t>(op.pad_right);
  const auto pb = static_cast<uint32_t>(op.pad_bottom), pl = static_cast<uint32_t>(op.pad_left);
  const auto kh = static_cast<uint32_t>(op.kernel_h), kw = static_cast<uint32_t>(op.kernel_w);
  const auto sh = static_cast<uint32_t>(op.stride_h), sw = static_cast<uint32_t>(op.stride_w);
  const auto dh = static_cast<uint32_t>(op.dilation_h), dw = static_cast<uint32_t>(op.dilation_w);
  xnn_status s = xnn_status_success;
  switch (op.kind) {
    case Kind::kConvolution:
      s = xnn_define_convolution_2d(subgraph, pt, pr, pb, pl, kh, kw, sh, sw, dh, dw,
                                    static_cast<uint32_t>(op.groups), op.group_input_channels,
                                    op.group_output_channels, op.output_min, op.output_max, in(0),
                                    constant(op.weights), constant(op.bias), out, 0);
      break;
    case Kind::kDepthwiseConvolution:
      s = xnn_define_depthwise_convolution_2d(
          subgraph, pt, pr, pb, pl, kh, kw, sh, sw, dh, dw,
          static_cast<uint32_t>(op.depth_multiplier), op.input_channels, op.output_min,
          op.output_max, in(0), constant(op.weights), constant(op.bias), out, 0);
      break;
    case Kind::kFullyConnected:
      s = xnn_define_fully_connected(subgraph, op.output_min, op.output_max, in(0),
                                     constant(op.weights), constant(op.bias), out, 0);
      break;
    case Kind::kMaxPool:
      s = xnn_define_max_pooling_2d(subgraph, pt, pr, pb, pl, kh, kw, sh, sw, dh, dw,
                                    op.output_min, op.output_max, in(0), out, 0);
      break;
    case Kind::kAveragePool:
      s = xnn_define_average_pooling_2d(subgraph, pt, pr, pb, pl, kh, kw, sh, sw, op.output_min,
                                        op.output_max, in(0), out, 0);
      break;
    case Kind::kGlobalAveragePool:
      s = xnn_define_global_average_pooling_2d(subgraph, op.output_min, op.output_max, in(0), out, 0);
      break;
    case Kind::kAdd:
      s = xnn_define_add2(subgraph, op.output_min, op.output_max, in(0), in(1), out, 0);
      break;
    case Kind::kPrelu:
      s = xnn_define_prelu(subgraph, in(0), constant(op.weights), out, 0);
      break;
    case Kind::kClamp:
      s = xnn_define_clamp(subgraph, op.output_min, op.output_max, in(0), out, 0);
      break;
    case Kind::kSigmoid:
      s = xnn_define_sigmoid(subgraph, in(0), out, 0);
      break;
    case Kind::kSoftmax:
      s = xnn_define_softmax(subgraph, in(0), out, 0);
      break;
    case Kind::kPad:
      s = xnn_define_static_constant_pad(subgraph, op.pad_before.data(), op.pad_after.data(),
                                         op.pad_value, in(0), out, 0);
      break;
    case Kind::kReshape: {
      std::vector<size_t> dims = {static_cast<size_t>(batch)};
      const std::vector<size_t>& v = g.values[static_cast<size_t>(op.output)];
      dims.insert(dims.end(), v.begin(), v.end());
      s = xnn_define_static_reshape(subgraph, dims.size(), dims.data(), in(0), out, 0);
      break;
    }
  }
  if (s != xnn_status_success) {
    return XnnError("defining operator " + std::to_string(static_cast<int>(op.kind)), s);
  }
  return Status::Ok();
}

class XnnpackNetwork final : public Network {
 public:
  XnnpackNetwork() : Network(Backend::kXnnpack) {}
  ~XnnpackNetwork() override {
    runtimes_.clear();  // before the graph whose weights they reference
  }
  XnnpackNetwork(const XnnpackNetwork&) = delete;
  XnnpackNetwork& operator=(const XnnpackNetwork&) = delete;

  Status Init(const ModelFile& model) {
    model_path_ = model.path();
    graph_ = model.nhwc_graph();
    if (!graph_) return Status::Internal(model.path() + ": model was not loaded for XNNPACK");
    const xnn_status init = xnn_initialize(nullptr);  // idempotent, thread-safe
    if (init != xnn_status_success) return XnnError("xnn_initialize (CPU not supported?)", init);
    if (model.options().num_threads > 1) {
      pool_.reset(pthreadpool_create(static_cast<size_t>(model.options().num_threads)));
      if (!pool_) return Status::Internal("cannot create a thread pool");
    }
    for (const NhwcGraph::Output& out : graph_->outputs) output_names_.push_back(out.name);
    outputs_.resize(graph_->outputs.size());
    nchw_.resize(graph_->outputs.size());
    input_size_ = Product(graph_->values[static_cast<size_t>(graph_->input)]);
    return Status::Ok();
  }

  Status Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs) override {
    const NhwcGraph& g = *graph_;
    if (input.type() != CV_32F || !input.isContinuous() ||
        input.dims != static_cast<int>(g.input_dims.size())) {
      return Status::InvalidArgument(model_path_ + ": input must be a continuous float blob of " +
                                     std::to_string(g.input_dims.size()) + " dimensions");
    }
    for (size_t i = 1; i < g.input_dims.size(); ++i) {
      if (input.size[static_cast<int>(i)] != g.input_dims[i]) {
        return Status::InvalidArgument(model_path_ + ": input dimension " + std::to_string(i) +
                                       " is " + std::to_string(input.size[static_cast<int>(i)]) +
                                       ", the model takes " + std::to_string(g.input_dims[i]));
      }
    }
    const int batch = input.size[0];
    if (batch < 1 || (g.fixed_batch > 0 && batch != g.fixed_batch)) {
      return Status::InvalidArgument(model_path_ + ": batch " + std::to_string(batch) +
                                     " not supported by the model");
    }
    // Output buffers for the whole batch (grow only).
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      const size_t need = static_cast<size_t>(batch) *
                          Product(g.values[static_cast<size_t>(g.outputs[k].value)]);
      if (outputs_[k].size() < need) outputs_[k].resize(need);
    }
    for (int start = 0; start < batch; start += kMaxRuntimeBatch) {
      const int count = std::min(kMaxRuntimeBatch, batch - start);
      auto runtime = RuntimeFor(count);
      if (!runtime.ok()) return runtime.status();
      Runtime& rt = *runtime.value();
      CopyInput(input.ptr<float>() + static_cast<size_t>(start) * input_size_, count, rt.input.data());
      // External pointers: the runtime's input, the network's outputs at this chunk's offset.
      bool changed = !rt.set_up;
      for (size_t k = 0; k < g.outputs.size(); ++k) {
        float* p = outputs_[k].data() +
                   static_cast<size_t>(start) * Product(g.values[static_cast<size_t>(g.outputs[k].value)]);
        changed = changed || rt.externals[k + 1].data != p;
        rt.externals[k + 1].data = p;
      }
      if (changed) {
        const xnn_status s = xnn_setup_runtime(rt.runtime.get(), rt.externals.size(), rt.externals.data());
        if (s != xnn_status_success) return XnnError("xnn_setup_runtime", s);
        rt.set_up = true;
      }
      const xnn_status s = xnn_invoke_runtime(rt.runtime.get());
      if (s != xnn_status_success) return XnnError("xnn_invoke_runtime", s);
    }
    outputs->resize(g.outputs.size());
    for (size_t k = 0; k < g.outputs.size(); ++k) SetOutput(k, batch, &(*outputs)[k]);
    return Status::Ok();
  }

 private:
  struct Runtime {
    int batch = 0;
    std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime;
    std::vector<float> input;                  // NHWC, with XNN_EXTRA_BYTES of slack
    std::vector<xnn_external_value> externals;  // [0] input, [1..] outputs
    bool set_up = false;
  };

  // The caller's NCHW (or plain) input, `count` items, into the runtime's NHWC buffer.
  void CopyInput(const float* src, int count, float* dst) const {
    const NhwcGraph& g = *graph_;
    if (!g.input_nchw) {
      std::memcpy(dst, src, static_cast<size_t>(count) * input_size_ * sizeof(float));
      return;
    }
    const size_t c = static_cast<size_t>(g.input_dims[1]);
    const size_t hw = static_cast<size_t>(g.input_dims[2] * g.input_dims[3]);
    for (int n = 0; n < count; ++n) {
      const float* s = src + static_cast<size_t>(n) * c * hw;
      float* d = dst + static_cast<size_t>(n) * c * hw;
      for (size_t ch = 0; ch < c; ++ch) {
        const float* plane = s + ch * hw;
        for (size_t i = 0; i < hw; ++i) d[i * c + ch] = plane[i];
      }
    }
  }

  // Points `out` at output k of the last run, shaped as ONNX declares it (NCHW outputs are
  // transposed from NHWC into a buffer of their own). Reuses the Mat header when it fits.
  void SetOutput(size_t k, int batch, cv::Mat* out) {
    const NhwcGraph::Output& o = graph_->outputs[k];
    const std::vector<size_t>& physical = graph_->values[static_cast<size_t>(o.value)];
    int sizes[8];
    const int rank = static_cast<int>(o.dims.size());
    sizes[0] = batch;
    for (int i = 1; i < rank && i < 8; ++i) sizes[i] = static_cast<int>(o.dims[static_cast<size_t>(i)]);
    float* data = outputs_[k].data();
    if (o.nchw) {
      const size_t h = physical[0], w = physical[1], c = physical[2];
      const size_t need = static_cast<size_t>(batch) * h * w * c;
      if (nchw_[k].size() < need) nchw_[k].resize(need);
      for (int n = 0; n < batch; ++n) {
        const float* s = data + static_cast<size_t>(n) * h * w * c;
        float* d = nchw_[k].data() + static_cast<size_t>(n) * h * w * c;
        for (size_t i = 0; i < h * w; ++i) {
          for (size_t ch = 0; ch < c; ++ch) d[ch * h * w + i] = s[i * c + ch];
        }
      }
      data = nchw_[k].data();
    }
    bool same = out->data == reinterpret_cast<uchar*>(data) && out->dims == rank && out->type() == CV_32F;
    for (int i = 0; same && i < rank; ++i) same = out->size[i] == sizes[i];
    if (!same) *out = cv::Mat(rank, sizes, CV_32F, data);
  }

  Result<Runtime*> RuntimeFor(int batch) {
    for (const std::unique_ptr<Runtime>& rt : runtimes_) {
      if (rt->batch == batch) return rt.get();
    }
    auto rt = std::make_unique<Runtime>();
    rt->batch = batch;
    FACET_RETURN_IF_ERROR(Build(batch, rt.get()));
    runtimes_.push_back(std::move(rt));
    return runtimes_.back().get();
  }

  Status Build(int batch, Runtime* rt) {
    const NhwcGraph& g = *graph_;
    const uint32_t external_count = static_cast<uint32_t>(1 + g.outputs.size());
    xnn_subgraph_t raw_subgraph = nullptr;
    xnn_status s = xnn_create_subgraph(external_count, 0, &raw_subgraph);
    if (s != xnn_status_success) return XnnError("xnn_create_subgraph", s);
    std::unique_ptr<xnn_subgraph, SubgraphDeleter> subgraph(raw_subgraph);

    std::vector<uint32_t> value_ids(g.values.size(), XNN_INVALID_VALUE_ID);
    std::vector<uint32_t> external(g.values.size(), XNN_INVALID_VALUE_ID);
    std::vector<uint32_t> flags(g.values.size(), 0);
    external[static_cast<size_t>(g.input)] = 0;
    flags[static_cast<size_t>(g.input)] = XNN_VALUE_FLAG_EXTERNAL_INPUT;
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      external[static_cast<size_t>(g.outputs[k].value)] = static_cast<uint32_t>(1 + k);
      flags[static_cast<size_t>(g.outputs[k].value)] = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    }
    for (size_t v = 0; v < g.values.size(); ++v) {
      std::vector<size_t> dims = {static_cast<size_t>(batch)};
      dims.insert(dims.end(), g.values[v].begin(), g.values[v].end());
      s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(), dims.data(), nullptr,
                                  external[v], flags[v], &value_ids[v]);
      if (s != xnn_status_success) return XnnError("xnn_define_tensor_value", s);
    }
    std::vector<uint32_t> constant_ids(g.constants.size(), XNN_INVALID_VALUE_ID);
    for (size_t c = 0; c < g.constants.size(); ++c) {
      const NhwcConstant& k = g.constants[c];
      s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, k.dims.size(), k.dims.data(),
                                  k.data.data(), XNN_INVALID_VALUE_ID, 0, &constant_ids[c]);
      if (s != xnn_status_success) return XnnError("xnn_define_tensor_value (constant)", s);
    }
    for (const NhwcOp& op : g.ops) {
      FACET_RETURN_IF_ERROR(DefineOp(subgraph.get(), g, op, value_ids, constant_ids, batch));
    }
    xnn_runtime_t raw_runtime = nullptr;
    s = xnn_create_runtime_v2(subgraph.get(), pool_.get(), 0, &raw_runtime);
    if (s != xnn_status_success) return XnnError("xnn_create_runtime_v2", s);
    rt->runtime.reset(raw_runtime);
    rt->input.assign(static_cast<size_t>(batch) * input_size_ + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
    rt->externals.assign(external_count, xnn_external_value{0, nullptr});
    for (uint32_t i = 0; i < external_count; ++i) rt->externals[i].id = i;
    rt->externals[0].data = rt->input.data();
    return Status::Ok();
  }

  std::shared_ptr<const NhwcGraph> graph_;
  std::string model_path_;
  std::unique_ptr<pthreadpool, PoolDeleter> pool_;
  size_t input_size_ = 0;  // floats per batch item
  std::vector<std::unique_ptr<Runtime>> runtimes_;
  std::vector<std::vector<float>> outputs_;  // NHWC outputs of the whole batch
  std::vector<std::vector<float>> nchw_;     // transposed copies of NCHW outputs
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kConvolution: return "conv";
    case Kind::kDepthwiseConvolution: return "dwconv";
    case Kind::kFullyConnected: return "fc";
    case Kind::kMaxPool: return "maxpool";
    case Kind::kAveragePool: return "avgpool";
    case Kind::kGlobalAveragePool: return "gap";
    case Kind::kAdd: return "add";
    case Kind::kPrelu: return "prelu";
    case Kind::kClamp: return "clamp";
    case Kind::kSigmoid: return "sigmoid";
    case Kind::kSoftmax: return "softmax";
    case Kind::kPad: return "pad";
    case Kind::kReshape: return "reshape";
  }
  return "?";
}

}  // namespace

Result<std::vector<OpTiming>> ProfileXnnpackOps(const ModelFile& model, int iterations) {
  const std::shared_ptr<const NhwcGraph>& graph = model.nhwc_graph();
  if (!graph) return Status::InvalidArgument(model.path() + ": not loaded for XNNPACK");
  const xnn_status init = xnn_initialize(nullptr);
  if (init != xnn_status_success) return XnnError("xnn_initialize", init);
  std::unique_ptr<pthreadpool, PoolDeleter> pool;
  if (model.options().num_threads > 1) {
    pool.reset(pthreadpool_create(static_cast<size_t>(model.options().num_threads)));
  }
  const NhwcGraph& g = *graph;
  std::vector<OpTiming> timings;
  for (const NhwcOp& op : g.ops) {
    std::vector<int> externals = op.inputs;
    externals.push_back(op.output);
    xnn_subgraph_t raw = nullptr;
    xnn_status s = xnn_create_subgraph(static_cast<uint32_t>(externals.size()), 0, &raw);
    if (s != xnn_status_success) return XnnError("xnn_create_subgraph", s);
    std::unique_ptr<xnn_subgraph, SubgraphDeleter> subgraph(raw);
    std::vector<uint32_t> value_ids(g.values.size(), XNN_INVALID_VALUE_ID);
    std::vector<std::vector<float>> buffers(externals.size());
    std::vector<xnn_external_value> bindings;
    for (size_t e = 0; e < externals.size(); ++e) {
      const auto v = static_cast<size_t>(externals[e]);
      if (value_ids[v] != XNN_INVALID_VALUE_ID) continue;  // the same value twice (x + x)
      std::vector<size_t> dims = {1};
      dims.insert(dims.end(), g.values[v].begin(), g.values[v].end());
      const bool is_output = e + 1 == externals.size();
      s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(), dims.data(), nullptr,
                                  static_cast<uint32_t>(e),
                                  is_output ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : XNN_VALUE_FLAG_EXTERNAL_INPUT,
                                  &value_ids[v]);
      if (s != xnn_status_success) return XnnError("xnn_define_tensor_value", s);
      buffers[e].assign(Product(g.values[v]) + XNN_EXTRA_BYTES / sizeof(float), 0.5f);
      bindings.push_back({static_cast<uint32_t>(e), buffers[e].data()});
    }
    std::vector<uint32_t> constant_ids(g.constants.size(), XNN_INVALID_VALUE_ID);
    for (int c : {op.weights, op.bias}) {
      if (c < 0) continue;
      const NhwcConstant& k = g.constants[static_cast<size_t>(c)];
      s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, k.dims.size(), k.dims.data(),
                                  k.data.data(), XNN_INVALID_VALUE_ID, 0, &constant_ids[static_cast<size_t>(c)]);
      if (s != xnn_status_success) return XnnError("xnn_define_tensor_value", s);
    }
    FACET_RETURN_IF_ERROR(DefineOp(subgraph.get(), g, op, value_ids, constant_ids, 1));
    xnn_runtime_t raw_runtime = nullptr;
    s = xnn_create_runtime_v2(subgraph.get(), pool.get(), 0, &raw_runtime);
    if (s != xnn_status_success) return XnnError("xnn_create_runtime_v2", s);
    std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime(raw_runtime);
    s = xnn_setup_runtime(runtime.get(), bindings.size(), bindings.data());
    if (s != xnn_status_success) return XnnError("xnn_setup_runtime", s);
    xnn_invoke_runtime(runtime.get());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) xnn_invoke_runtime(runtime.get());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                      std::max(1, iterations);
    std::string what = KindName(op.kind);
    what += " ";
    for (size_t d : g.values[static_cast<size_t>(op.inputs[0])]) what += std::to_string(d) + "x";
    what.back() = ' ';
    what += "-> ";
    for (size_t d : g.values[static_cast<size_t>(op.output)]) what += std::to_string(d) + "x";
    what.pop_back();
    if (op.kind == Kind::kConvolution || op.kind == Kind::kDepthwiseConvolution) {
      what += " k" + std::to_string(op.kernel_h) + "s" + std::to_string(op.stride_h);
    }
    timings.push_back({what, ms});
  }
  return timings;
}

Result<std::unique_ptr<Network>> CreateXnnpackNetwork(const ModelFile& model) {
  auto network = std::make_unique<XnnpackNetwork>();
  FACET_RETURN_IF_ERROR(network->Init(model));
  return std::unique_ptr<Network>(std::move(network));
}

}  // namespace facet::nn
