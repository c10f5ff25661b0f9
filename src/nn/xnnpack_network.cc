#include "nn/xnnpack_network.h"

#include <algorithm>
#include <cstring>

#include "nn/nhwc_graph.h"
#include "nn/xnnpack_ops.h"

namespace facet::nn {
namespace {

// The graph's ops split into segments: runs of XNNPACK operators (one XNNPACK runtime each) and
// facet kernels (nn/fused_kernels.h). Values that cross a segment boundary, the graph input and
// the graph outputs live in buffers the network owns; the rest stays inside XNNPACK's runtimes.
struct Segment {
  bool facet_kernel = false;
  size_t first = 0, end = 0;  // ops [first, end)
  std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime;  // XNNPACK segments
  FacetKernel kernel;                                     // facet kernel segments (one op)
};

class XnnpackNetwork final : public Network {
 public:
  XnnpackNetwork() : Network(Backend::kXnnpack) {}
  ~XnnpackNetwork() override = default;
  XnnpackNetwork(const XnnpackNetwork&) = delete;
  XnnpackNetwork& operator=(const XnnpackNetwork&) = delete;

  Status Init(const ModelFile& model) {
    onnx_model_ = model.onnx_model();
    facet_kernels_ = model.options().facet_kernels;
    model_path_ = model.path();
    if (!model.nhwc_graph()) return Status::Internal(model.path() + ": model was not loaded for XNNPACK");
    const xnn_status init = xnn_initialize(nullptr);  // idempotent, thread-safe
    if (init != xnn_status_success) return XnnError("xnn_initialize (CPU not supported?)", init);
    if (model.options().num_threads > 1) {
      pool_.reset(pthreadpool_create(static_cast<size_t>(model.options().num_threads)));
      if (!pool_) return Status::Internal("cannot create a thread pool");
    }
    Activate(AddVariant(model.nhwc_graph()));
    for (const NhwcGraph::Output& out : graph_->outputs) output_names_.push_back(out.name);
    outputs_.resize(graph_->outputs.size());
    nchw_.resize(graph_->outputs.size());
    return Status::Ok();
  }

  Status Forward(const cv::Mat& input, std::vector<cv::Mat>* outputs) override {
    if (input.type() != CV_32F || !input.isContinuous() ||
        input.dims != static_cast<int>(graph_->input_dims.size())) {
      return Status::InvalidArgument(model_path_ + ": input must be a continuous float blob of " +
                                     std::to_string(graph_->input_dims.size()) + " dimensions");
    }
    if (onnx_model_) FACET_RETURN_IF_ERROR(SelectInputSize(input));
    const NhwcGraph& g = *graph_;
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
      const size_t need = static_cast<size_t>(batch) * OutputSize(k);
      if (outputs_[k].size() < need) outputs_[k].resize(need);
    }
    for (int start = 0; start < batch; start += kMaxRuntimeBatch) {
      const int count = std::min(kMaxRuntimeBatch, batch - start);
      auto runtime = RuntimeFor(count);
      if (!runtime.ok()) return runtime.status();
      Runtime& rt = *runtime.value();
      CopyInput(input.ptr<float>() + static_cast<size_t>(start) * input_size_, count,
                rt.buffers[static_cast<size_t>(g.input)].data());
      for (Segment& segment : rt.segments) {
        if (segment.facet_kernel) {
          const NhwcOp& op = g.ops[segment.first];
          RunFacetKernel(segment.kernel, count,
                         rt.buffers[static_cast<size_t>(op.inputs[0])].data(),
                         rt.buffers[static_cast<size_t>(op.output)].data(), rt.scratch.data(),
                         pool_.get(), &segment == &rt.segments.back());
          continue;
        }
        const xnn_status s = xnn_invoke_runtime(segment.runtime.get());
        if (s != xnn_status_success) return XnnError("xnn_invoke_runtime", s);
      }
      for (size_t k = 0; k < g.outputs.size(); ++k) {
        const size_t n = static_cast<size_t>(count) * OutputSize(k);
        std::memcpy(outputs_[k].data() + static_cast<size_t>(start) * OutputSize(k),
                    rt.buffers[static_cast<size_t>(g.outputs[k].value)].data(), n * sizeof(float));
      }
    }
    outputs->resize(g.outputs.size());
    for (size_t k = 0; k < g.outputs.size(); ++k) SetOutput(k, batch, &(*outputs)[k]);
    return Status::Ok();
  }

 private:
  struct Runtime {
    int batch = 0;
    std::vector<Segment> segments;
    std::vector<std::vector<float>> buffers;  // by value id; empty for values inside a runtime
    std::vector<float> scratch;               // facet kernels
  };

  size_t OutputSize(size_t k) const {
    return Product(graph_->values[static_cast<size_t>(graph_->outputs[k].value)]);
  }

  // The caller's NCHW (or plain) input, `count` items, into the NHWC input buffer.
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
    const int rank = std::min(8, static_cast<int>(o.dims.size()));
    sizes[0] = batch;
    for (int i = 1; i < rank; ++i) sizes[i] = static_cast<int>(o.dims[static_cast<size_t>(i)]);
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

  // One lowering of the model (for one input size) and the runtimes built from it. The runtimes
  // reference the graph's weights: they are declared after it, so they go first.
  struct Variant {
    std::shared_ptr<const NhwcGraph> graph;
    std::vector<std::unique_ptr<Runtime>> runtimes;
    uint64_t last_use = 0;
  };

  Variant* AddVariant(std::shared_ptr<const NhwcGraph> graph) {
    auto v = std::make_unique<Variant>();
    v->graph = std::move(graph);
    variants_.push_back(std::move(v));
    return variants_.back().get();
  }

  void Activate(Variant* v) {
    v->last_use = ++use_clock_;
    graph_ = v->graph.get();
    runtimes_ = &v->runtimes;
    input_size_ = Product(graph_->values[static_cast<size_t>(graph_->input)]);
  }

  // Models of variable input size: makes the lowering for `input`'s shape active, lowering the
  // model and building runtimes on first use; keeps the kMaxInputSizes most recently used.
  Status SelectInputSize(const cv::Mat& input) {
    std::vector<int64_t> dims(static_cast<size_t>(input.dims));
    for (int i = 0; i < input.dims; ++i) dims[static_cast<size_t>(i)] = input.size[i];
    auto same = [&](const Variant& v) {
      return std::equal(dims.begin() + 1, dims.end(), v.graph->input_dims.begin() + 1,
                        v.graph->input_dims.end());
    };
    for (const std::unique_ptr<Variant>& v : variants_) {
      if (same(*v)) {
        Activate(v.get());
        return Status::Ok();
      }
    }
    dims[0] = graph_->input_dims[0];
    auto graph = LowerToNhwc(*onnx_model_, facet_kernels_, dims);
    if (!graph.ok()) return Status(graph.status().code(), model_path_ + ": " + graph.status().message());
    if (variants_.size() >= kMaxInputSizes) {
      auto oldest = std::min_element(
          variants_.begin(), variants_.end(),
          [](const auto& a, const auto& b) { return a->last_use < b->last_use; });
      variants_.erase(oldest);
    }
    Activate(AddVariant(std::make_shared<const NhwcGraph>(std::move(graph).value())));
    return Status::Ok();
  }

  Result<Runtime*> RuntimeFor(int batch) {
    for (const std::unique_ptr<Runtime>& rt : *runtimes_) {
      if (rt->batch == batch) return rt.get();
    }
    auto rt = std::make_unique<Runtime>();
    rt->batch = batch;
    FACET_RETURN_IF_ERROR(Build(batch, rt.get()));
    runtimes_->push_back(std::move(rt));
    return runtimes_->back().get();
  }

  Status Build(int batch, Runtime* rt) {
    const NhwcGraph& g = *graph_;
    // Segments.
    for (size_t i = 0; i < g.ops.size(); ++i) {
      const bool facet = IsFacetKernel(g.ops[i]);
      if (facet || rt->segments.empty() || rt->segments.back().facet_kernel) {
        Segment s;
        s.facet_kernel = facet;
        s.first = i;
        rt->segments.push_back(std::move(s));
      }
      rt->segments.back().end = i + 1;
    }
    // Which segment produces each value (-1: the graph input), and whether a value is needed
    // outside its producer's segment.
    std::vector<int> producer(g.values.size(), -1);
    std::vector<bool> boundary(g.values.size(), false);
    for (size_t s = 0; s < rt->segments.size(); ++s) {
      for (size_t i = rt->segments[s].first; i < rt->segments[s].end; ++i) {
        producer[static_cast<size_t>(g.ops[i].output)] = static_cast<int>(s);
      }
    }
    boundary[static_cast<size_t>(g.input)] = true;
    for (const NhwcGraph::Output& out : g.outputs) boundary[static_cast<size_t>(out.value)] = true;
    for (size_t s = 0; s < rt->segments.size(); ++s) {
      for (size_t i = rt->segments[s].first; i < rt->segments[s].end; ++i) {
        for (int v : g.ops[i].inputs) {
          if (producer[static_cast<size_t>(v)] != static_cast<int>(s) || rt->segments[s].facet_kernel) {
            boundary[static_cast<size_t>(v)] = true;
          }
        }
        if (rt->segments[s].facet_kernel) boundary[static_cast<size_t>(g.ops[i].output)] = true;
      }
    }
    rt->buffers.resize(g.values.size());
    for (size_t v = 0; v < g.values.size(); ++v) {
      if (!boundary[v]) continue;
      rt->buffers[v].assign(static_cast<size_t>(batch) * Product(g.values[v]) +
                                XNN_EXTRA_BYTES / sizeof(float),
                            0.0f);
    }
    size_t scratch = 0;
    for (Segment& s : rt->segments) {
      if (s.facet_kernel) {
        s.kernel = PrepareFacetKernel(g, g.ops[s.first]);
        scratch = std::max(
            scratch, FacetKernelScratch(s.kernel, pthreadpool_get_threads_count(pool_.get())));
      } else {
        FACET_RETURN_IF_ERROR(BuildXnnpackSegment(batch, boundary, producer, &s, rt));
      }
    }
    rt->scratch.assign(scratch, 0.0f);
    return Status::Ok();
  }

  // One XNNPACK runtime for the ops of `segment`; its boundary values are external, bound to
  // the network's buffers once here.
  Status BuildXnnpackSegment(int batch, const std::vector<bool>& boundary,
                             const std::vector<int>& producer, Segment* segment, Runtime* rt) {
    const NhwcGraph& g = *graph_;
    const int self = static_cast<int>(segment - rt->segments.data());
    // The values this segment touches, in first-use order.
    std::vector<int> touched;
    std::vector<bool> seen(g.values.size(), false);
    for (size_t i = segment->first; i < segment->end; ++i) {
      std::vector<int> values = g.ops[i].inputs;
      values.push_back(g.ops[i].output);
      for (int v : values) {
        if (!seen[static_cast<size_t>(v)]) {
          seen[static_cast<size_t>(v)] = true;
          touched.push_back(v);
        }
      }
    }
    std::vector<xnn_external_value> externals;
    for (int v : touched) {
      if (boundary[static_cast<size_t>(v)]) {
        externals.push_back({static_cast<uint32_t>(externals.size()), rt->buffers[static_cast<size_t>(v)].data()});
      }
    }
    xnn_subgraph_t raw_subgraph = nullptr;
    xnn_status s = xnn_create_subgraph(static_cast<uint32_t>(externals.size()), 0, &raw_subgraph);
    if (s != xnn_status_success) return XnnError("xnn_create_subgraph", s);
    std::unique_ptr<xnn_subgraph, SubgraphDeleter> subgraph(raw_subgraph);
    std::vector<uint32_t> value_ids(g.values.size(), XNN_INVALID_VALUE_ID);
    uint32_t next_external = 0;
    for (int v : touched) {
      const auto index = static_cast<size_t>(v);
      std::vector<size_t> dims = {static_cast<size_t>(batch)};
      dims.insert(dims.end(), g.values[index].begin(), g.values[index].end());
      uint32_t external = XNN_INVALID_VALUE_ID, flags = 0;
      if (boundary[index]) {
        external = next_external++;
        flags = producer[index] == self ? XNN_VALUE_FLAG_EXTERNAL_OUTPUT : XNN_VALUE_FLAG_EXTERNAL_INPUT;
      }
      s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, dims.size(), dims.data(), nullptr,
                                  external, flags, &value_ids[index]);
      if (s != xnn_status_success) return XnnError("xnn_define_tensor_value", s);
    }
    std::vector<uint32_t> constant_ids(g.constants.size(), XNN_INVALID_VALUE_ID);
    for (size_t i = segment->first; i < segment->end; ++i) {
      for (int c : {g.ops[i].weights, g.ops[i].bias}) {
        if (c < 0 || constant_ids[static_cast<size_t>(c)] != XNN_INVALID_VALUE_ID) continue;
        const NhwcConstant& k = g.constants[static_cast<size_t>(c)];
        s = xnn_define_tensor_value(subgraph.get(), xnn_datatype_fp32, k.dims.size(), k.dims.data(),
                                    k.data.data(), XNN_INVALID_VALUE_ID, 0,
                                    &constant_ids[static_cast<size_t>(c)]);
        if (s != xnn_status_success) return XnnError("xnn_define_tensor_value (constant)", s);
      }
      FACET_RETURN_IF_ERROR(DefineXnnpackOp(subgraph.get(), g, g.ops[i], value_ids, constant_ids, batch));
    }
    xnn_runtime_t raw_runtime = nullptr;
    // Workers sleep in the kernel after the network's last operator instead of spinning: a
    // Session's networks each have a pool, and spinning workers steal the CPU the next network
    // needs. Between segments they spin: waking sleeping workers for each of the ~40 segments of
    // a network with facet kernels costs more than the kernels save on 2 threads.
    const bool last = static_cast<size_t>(self) + 1 == rt->segments.size();
    s = xnn_create_runtime_v2(subgraph.get(), pool_.get(),
                              pool_ && last ? XNN_FLAG_YIELD_WORKERS : 0, &raw_runtime);
    if (s != xnn_status_success) return XnnError("xnn_create_runtime_v2", s);
    segment->runtime.reset(raw_runtime);
    s = xnn_setup_runtime(raw_runtime, externals.size(), externals.data());
    if (s != xnn_status_success) return XnnError("xnn_setup_runtime", s);
    return Status::Ok();
  }

  // Input sizes whose runtimes a network keeps (each holds its own packed weights and buffers).
  static constexpr size_t kMaxInputSizes = 4;

  // Models of variable input size: the parsed model, lowered again for each new input size.
  std::shared_ptr<const onnx::Model> onnx_model_;
  bool facet_kernels_ = true;
  std::string model_path_;
  std::unique_ptr<pthreadpool, PoolDeleter> pool_;
  std::vector<std::unique_ptr<Variant>> variants_;
  uint64_t use_clock_ = 0;
  // The active variant's graph, runtimes and input floats per batch item.
  const NhwcGraph* graph_ = nullptr;
  std::vector<std::unique_ptr<Runtime>>* runtimes_ = nullptr;
  size_t input_size_ = 0;
  std::vector<std::vector<float>> outputs_;  // NHWC outputs of the whole batch
  std::vector<std::vector<float>> nchw_;     // transposed copies of NCHW outputs
};

}  // namespace

Result<std::unique_ptr<Network>> CreateXnnpackNetwork(const ModelFile& model) {
  auto network = std::make_unique<XnnpackNetwork>();
  FACET_RETURN_IF_ERROR(network->Init(model));
  return std::unique_ptr<Network>(std::move(network));
}

}  // namespace facet::nn
