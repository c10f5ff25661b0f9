#include <algorithm>
#include <ctime>

#include "nn/nhwc_graph.h"
#include "nn/xnnpack_network.h"
#include "nn/xnnpack_ops.h"

namespace facet::nn {

using Kind = NhwcOp::Kind;

Result<std::vector<OpTiming>> ProfileXnnpackOps(const ModelFile& model, int iterations,
                                                const std::vector<int64_t>& input_dims) {
  std::shared_ptr<const NhwcGraph> graph = model.nhwc_graph();
  if (!graph) return Status::InvalidArgument(model.path() + ": not loaded for XNNPACK");
  if (!input_dims.empty()) {
    if (!model.onnx_model()) {
      return Status::InvalidArgument(model.path() + ": its input size is fixed");
    }
    auto lowered = LowerToNhwc(*model.onnx_model(), model.options().facet_kernels, input_dims);
    if (!lowered.ok()) return lowered.status();
    graph = std::make_shared<const NhwcGraph>(std::move(lowered).value());
  }
  const xnn_status init = xnn_initialize(nullptr);
  if (init != xnn_status_success) return XnnError("xnn_initialize", init);
  std::unique_ptr<pthreadpool, PoolDeleter> pool;
  if (model.options().num_threads > 1) {
    pool.reset(pthreadpool_create(static_cast<size_t>(model.options().num_threads)));
  }
  const NhwcGraph& g = *graph;
  std::vector<OpTiming> timings;
  // CPU time of this thread: robust to a shared machine's time slicing (1 thread).
  auto thread_ms = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  };
  auto describe = [&](const NhwcOp& op) {
    std::string what = KindName(op.kind);
    what += " ";
    for (size_t d : g.values[static_cast<size_t>(op.inputs[0])]) what += std::to_string(d) + "x";
    what.back() = ' ';
    what += "-> ";
    for (size_t d : g.values[static_cast<size_t>(op.output)]) what += std::to_string(d) + "x";
    what.pop_back();
    if (op.kind == Kind::kConvolution || op.kind == Kind::kDepthwiseConvolution ||
        op.kind == Kind::kWinogradConvolution || op.kind == Kind::kConvPointwiseDepthwise) {
      what += " k" + std::to_string(op.kernel_h) + "s" + std::to_string(op.stride_h);
    }
    if (op.kind == Kind::kResidualChain) what += " (" + std::to_string(op.blocks.size()) + " blocks)";
    return what;
  };
  for (const NhwcOp& op : g.ops) {
    if (IsFacetKernel(op)) {
      std::vector<float> in(Product(g.values[static_cast<size_t>(op.inputs[0])]), 0.5f);
      std::vector<float> out(Product(g.values[static_cast<size_t>(op.output)]));
      const FacetKernel kernel = PrepareFacetKernel(g, op);
      std::vector<float> scratch(
          FacetKernelScratch(kernel, pthreadpool_get_threads_count(pool.get())));
      RunFacetKernel(kernel, 1, in.data(), out.data(), scratch.data(), pool.get());
      const double start = thread_ms();
      for (int i = 0; i < iterations; ++i) {
        RunFacetKernel(kernel, 1, in.data(), out.data(), scratch.data(), pool.get());
      }
      timings.push_back({describe(op), (thread_ms() - start) / std::max(1, iterations)});
      continue;
    }
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
    FACET_RETURN_IF_ERROR(DefineXnnpackOp(subgraph.get(), g, op, value_ids, constant_ids, 1));
    xnn_runtime_t raw_runtime = nullptr;
    s = xnn_create_runtime_v2(subgraph.get(), pool.get(), 0, &raw_runtime);
    if (s != xnn_status_success) return XnnError("xnn_create_runtime_v2", s);
    std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime(raw_runtime);
    s = xnn_setup_runtime(runtime.get(), bindings.size(), bindings.data());
    if (s != xnn_status_success) return XnnError("xnn_setup_runtime", s);
    xnn_invoke_runtime(runtime.get());
    const double start = thread_ms();
    for (int i = 0; i < iterations; ++i) xnn_invoke_runtime(runtime.get());
    timings.push_back({describe(op), (thread_ms() - start) / std::max(1, iterations)});
  }
  return timings;
}

}  // namespace facet::nn
