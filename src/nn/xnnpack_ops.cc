#include "nn/xnnpack_ops.h"

#include <algorithm>
#include <array>
#include <atomic>

namespace facet::nn {

using Kind = NhwcOp::Kind;

Status XnnError(const std::string& what, xnn_status status) {
  return Status::Internal("XNNPACK: " + what + " failed (status " +
                          std::to_string(static_cast<int>(status)) + ")");
}

size_t Product(const std::vector<size_t>& dims) {
  size_t n = 1;
  for (size_t d : dims) n *= d;
  return n;
}

// Defines `op` in `subgraph`; value_ids / constant_ids map the graph's ids to the subgraph's.
Status DefineXnnpackOp(xnn_subgraph_t subgraph, const NhwcGraph& g, const NhwcOp& op,
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
    case Kind::kResidualChain:
    case Kind::kUpsampleNearest2x:
    case Kind::kWinogradConvolution:
      return Status::Internal("a facet kernel op is not an XNNPACK operator");
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

bool IsFacetKernel(const NhwcOp& op) {
  return op.kind == Kind::kResidualChain || op.kind == Kind::kUpsampleNearest2x ||
         op.kind == Kind::kWinogradConvolution;
}

FacetKernel PrepareFacetKernel(const NhwcGraph& g, const NhwcOp& op) {
  const std::vector<size_t>& dims = g.values[static_cast<size_t>(op.inputs[0])];  // H, W, C
  FacetKernel k;
  k.kind = op.kind;
  k.height = static_cast<int>(dims[0]);
  k.width = static_cast<int>(dims[1]);
  k.channels = static_cast<int>(dims[2]);
  k.image_size = Product(dims);
  k.output_size = Product(g.values[static_cast<size_t>(op.output)]);
  auto data = [&](int id) { return g.constants[static_cast<size_t>(id)].data.data(); };
  for (const NhwcOp::Block& b : op.blocks) {
    k.blocks.push_back({k.channels, data(b.depthwise), data(b.depthwise_bias), data(b.pointwise),
                        data(b.pointwise_bias), b.output_min, b.output_max});
  }
  if (op.kind == Kind::kWinogradConvolution) {
    k.winograd.in_channels = static_cast<int>(op.group_input_channels);
    k.winograd.out_channels = static_cast<int>(op.group_output_channels);
    k.winograd.weights = data(op.weights);
    k.winograd.bias = data(op.bias);
    k.winograd.output_min = op.output_min;
    k.winograd.output_max = op.output_max;
  }
  return k;
}

size_t FacetKernelScratch(const FacetKernel& kernel, size_t threads) {
  if (kernel.kind == Kind::kUpsampleNearest2x) return 0;
  if (kernel.kind == Kind::kWinogradConvolution) {
    return threads * WinogradScratch(kernel.winograd.in_channels, kernel.winograd.out_channels);
  }
  return ResidualChainScratch(kernel.width, kernel.channels, static_cast<int>(kernel.blocks.size()));
}

namespace {

// One batch item of a Winograd convolution, one work item per block of tiles: fine enough that
// a worker descheduled on a shared machine holds up little. At most one item per thread runs at
// a time, so one scratch slot per thread suffices: an item takes the first free one.
struct WinogradWork {
  static constexpr size_t kMaxSlots = 64;  // more threads than that wait for a free slot
  const FacetKernel* kernel = nullptr;
  const float* input = nullptr;
  float* output = nullptr;
  float* scratch = nullptr;  // slots x WinogradScratch floats
  int tiles = 0;
  size_t slots = 1;
  std::array<std::atomic<bool>, kMaxSlots> slot_busy{};
};

void RunWinogradBlock(void* context, size_t block) {
  auto& w = *static_cast<WinogradWork*>(context);
  const FacetKernel& k = *w.kernel;
  size_t slot = 0;
  while (w.slot_busy[slot].exchange(true, std::memory_order_acquire)) slot = (slot + 1) % w.slots;
  const int begin = static_cast<int>(block) * kWinogradTileBlock;
  const int end = std::min(w.tiles, begin + kWinogradTileBlock);
  WinogradConv3x3(
      w.input, k.height, k.width, k.winograd, w.output, begin, end,
      w.scratch + slot * WinogradScratch(k.winograd.in_channels, k.winograd.out_channels));
  w.slot_busy[slot].store(false, std::memory_order_release);
}

}  // namespace

void RunFacetKernel(const FacetKernel& kernel, int batch, const float* input, float* output,
                    float* scratch, pthreadpool_t pool, bool yield_workers) {
  if (kernel.kind == Kind::kWinogradConvolution) {
    const int tiles = WinogradTileCount(kernel.height, kernel.width);
    const auto blocks = static_cast<size_t>((tiles + kWinogradTileBlock - 1) / kWinogradTileBlock);
    for (int n = 0; n < batch; ++n) {
      WinogradWork work;
      work.kernel = &kernel;
      work.input = input + static_cast<size_t>(n) * kernel.image_size;
      work.output = output + static_cast<size_t>(n) * kernel.output_size;
      work.scratch = scratch;
      work.tiles = tiles;
      work.slots = std::min(WinogradWork::kMaxSlots, pthreadpool_get_threads_count(pool));
      pthreadpool_parallelize_1d(pool, RunWinogradBlock, &work, blocks,
                                 yield_workers ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0);
    }
    return;
  }
  if (kernel.kind == Kind::kUpsampleNearest2x) {
    for (int n = 0; n < batch; ++n) {
      UpsampleNearest2x(input + static_cast<size_t>(n) * kernel.image_size, kernel.height,
                        kernel.width, kernel.channels,
                        output + static_cast<size_t>(n) * kernel.output_size);
    }
    return;
  }
  for (int n = 0; n < batch; ++n) {
    ResidualChain(input + static_cast<size_t>(n) * kernel.image_size, kernel.height, kernel.width,
                  kernel.blocks.data(), static_cast<int>(kernel.blocks.size()),
                  output + static_cast<size_t>(n) * kernel.image_size, scratch);
  }
}

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
    case Kind::kResidualChain: return "residual-chain";
    case Kind::kUpsampleNearest2x: return "upsample-nearest-x2";
    case Kind::kWinogradConvolution:
      return "winograd-conv";
  }
  return "?";
}


}  // namespace facet::nn
