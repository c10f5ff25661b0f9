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
    case Kind::kConvPointwiseDepthwise:
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
         op.kind == Kind::kWinogradConvolution || op.kind == Kind::kConvPointwiseDepthwise;
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
  if (op.kind == Kind::kConvPointwiseDepthwise) {
    const std::vector<size_t>& mid =
        g.values[static_cast<size_t>(op.output)];  // after the depthwise
    ConvPointwiseDepthwise& f = k.stem;
    f.in_height = k.height;
    f.in_width = k.width;
    f.conv_in_channels = static_cast<int>(op.group_input_channels);
    f.conv_channels = static_cast<int>(op.group_output_channels);
    f.kernel_h = op.kernel_h;
    f.kernel_w = op.kernel_w;
    f.stride_h = op.stride_h;
    f.stride_w = op.stride_w;
    f.pad_top = op.pad_top;
    f.pad_left = op.pad_left;
    f.conv_weights = data(op.weights);
    f.conv_bias = data(op.bias);
    f.conv_min = op.output_min;
    f.conv_max = op.output_max;
    f.mid_height = (k.height + op.pad_top + op.pad_bottom - op.kernel_h) / op.stride_h + 1;
    f.mid_width = (k.width + op.pad_left + op.pad_right - op.kernel_w) / op.stride_w + 1;
    f.channels = static_cast<int>(op.tail.channels);
    f.pointwise_weights = data(op.tail.pointwise);
    f.pointwise_bias = data(op.tail.pointwise_bias);
    f.pointwise_min = op.tail.pointwise_min;
    f.pointwise_max = op.tail.pointwise_max;
    f.depthwise_stride = op.tail.depthwise_stride;
    f.depthwise_pad_top = op.tail.depthwise_pad_top;
    f.depthwise_pad_left = op.tail.depthwise_pad_left;
    f.depthwise_weights = data(op.tail.depthwise);
    f.depthwise_bias = data(op.tail.depthwise_bias);
    f.depthwise_min = op.tail.depthwise_min;
    f.depthwise_max = op.tail.depthwise_max;
    f.out_height = static_cast<int>(mid[0]);
    f.out_width = static_cast<int>(mid[1]);
  }
  return k;
}

size_t FacetKernelScratch(const FacetKernel& kernel, size_t threads) {
  if (kernel.kind == Kind::kUpsampleNearest2x) return 0;
  if (kernel.kind == Kind::kWinogradConvolution) {
    return threads * WinogradScratch(kernel.winograd.in_channels, kernel.winograd.out_channels);
  }
  if (kernel.kind == Kind::kConvPointwiseDepthwise)
    return threads * ConvPointwiseDepthwiseScratch(kernel.stem);
  return ResidualChainScratch(kernel.width, kernel.channels, static_cast<int>(kernel.blocks.size()));
}

namespace {

// Work items on a thread pool, each with a scratch slot of its own while it runs. At most one
// item per thread runs at a time, so one slot per thread suffices: an item takes the first free
// one. Items are small (a block of tiles, a few rows) so that a worker descheduled on a shared
// machine holds up little: pthreadpool's work stealing hands the rest to the other threads.
struct SlottedWork {
  static constexpr size_t kMaxSlots = 64;  // more threads than that wait for a free slot
  void (*run)(const FacetKernel& kernel, const float* input, float* output, size_t item,
              size_t items, float* scratch) = nullptr;
  const FacetKernel* kernel = nullptr;
  const float* input = nullptr;
  float* output = nullptr;
  float* scratch = nullptr;  // slots x slot_floats
  size_t slot_floats = 0;
  size_t slots = 1;
  size_t items = 0;
  std::array<std::atomic<bool>, kMaxSlots> slot_busy{};
};

void RunSlottedItem(void* context, size_t item) {
  auto& w = *static_cast<SlottedWork*>(context);
  size_t slot = 0;
  while (w.slot_busy[slot].exchange(true, std::memory_order_acquire)) slot = (slot + 1) % w.slots;
  w.run(*w.kernel, w.input, w.output, item, w.items, w.scratch + slot * w.slot_floats);
  w.slot_busy[slot].store(false, std::memory_order_release);
}

void RunWinogradBlock(const FacetKernel& k, const float* input, float* output, size_t block,
                      size_t /*blocks*/, float* scratch) {
  const int tiles = WinogradTileCount(k.height, k.width);
  const int begin = static_cast<int>(block) * kWinogradTileBlock;
  WinogradConv3x3(input, k.height, k.width, k.winograd, output, begin,
                  std::min(tiles, begin + kWinogradTileBlock), scratch);
}

void RunStemRows(const FacetKernel& k, const float* input, float* output, size_t part, size_t parts,
                 float* scratch) {
  const auto rows = static_cast<size_t>(k.stem.out_height);
  RunConvPointwiseDepthwise(k.stem, input, output, static_cast<int>(rows * part / parts),
                            static_cast<int>(rows * (part + 1) / parts), scratch);
}

}  // namespace

void RunFacetKernel(const FacetKernel& kernel, int batch, const float* input, float* output,
                    float* scratch, pthreadpool_t pool, bool yield_workers) {
  if (kernel.kind == Kind::kWinogradConvolution || kernel.kind == Kind::kConvPointwiseDepthwise) {
    const size_t threads = pthreadpool_get_threads_count(pool);
    SlottedWork work;
    work.kernel = &kernel;
    work.slots = std::min(SlottedWork::kMaxSlots, threads);
    if (kernel.kind == Kind::kWinogradConvolution) {
      work.run = RunWinogradBlock;
      work.slot_floats = WinogradScratch(kernel.winograd.in_channels, kernel.winograd.out_channels);
      const int tiles = WinogradTileCount(kernel.height, kernel.width);
      work.items = static_cast<size_t>((tiles + kWinogradTileBlock - 1) / kWinogradTileBlock);
    } else {
      // Each range of rows computes the 1x1 layer's row above it again: one range on 1 thread.
      work.run = RunStemRows;
      work.slot_floats = ConvPointwiseDepthwiseScratch(kernel.stem);
      work.items =
          std::min(static_cast<size_t>(kernel.stem.out_height), threads == 1 ? 1 : 4 * threads);
    }
    for (int n = 0; n < batch; ++n) {
      work.input = input + static_cast<size_t>(n) * kernel.image_size;
      work.output = output + static_cast<size_t>(n) * kernel.output_size;
      work.scratch = scratch;
      pthreadpool_parallelize_1d(pool, RunSlottedItem, &work, work.items,
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
    case Kind::kConvPointwiseDepthwise:
      return "conv-pointwise-depthwise";
  }
  return "?";
}


}  // namespace facet::nn
