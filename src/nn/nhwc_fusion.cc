// Rewrites of the lowered graph onto facet's own kernels (nn/fused_kernels.h).
#include <algorithm>
#include <limits>

#include "nn/conv_pointwise_depthwise.h"
#include "nn/nhwc_graph.h"
#include "nn/winograd_conv.h"

namespace facet::nn {

using Kind = NhwcOp::Kind;

int FuseResidualChains(NhwcGraph* graph) {
  NhwcGraph& g = *graph;
  const size_t op_count = g.ops.size();
  // Consumers of each value (graph outputs count as consumers that are not ops).
  std::vector<std::vector<size_t>> consumers(g.values.size());
  std::vector<bool> is_output(g.values.size(), false);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < op_count; ++i) {
    for (int v : g.ops[i].inputs) {
      auto& list = consumers[static_cast<size_t>(v)];
      if (list.empty() || list.back() != i) list.push_back(i);
    }
    producer[static_cast<size_t>(g.ops[i].output)] = static_cast<int>(i);
  }
  for (const NhwcGraph::Output& out : g.outputs) is_output[static_cast<size_t>(out.value)] = true;
  const float inf = std::numeric_limits<float>::infinity();
  auto only_consumer = [&](int value, size_t op) {
    const auto& list = consumers[static_cast<size_t>(value)];
    return !is_output[static_cast<size_t>(value)] && list.size() == 1 && list[0] == op;
  };
  // The block starting at depthwise op `a`: returns the add op's index, or -1.
  auto match_block = [&](size_t a) -> int {
    const NhwcOp& dw = g.ops[a];
    if (dw.kind != Kind::kDepthwiseConvolution || dw.kernel_h != 3 || dw.kernel_w != 3 ||
        dw.stride_h != 1 || dw.stride_w != 1 || dw.dilation_h != 1 || dw.dilation_w != 1 ||
        dw.pad_top != 1 || dw.pad_left != 1 || dw.pad_bottom != 1 || dw.pad_right != 1 ||
        dw.depth_multiplier != 1 || dw.input_channels % 8 != 0 || dw.output_min != -inf ||
        dw.output_max != inf) {
      return -1;
    }
    const auto& dw_users = consumers[static_cast<size_t>(dw.output)];
    if (dw_users.size() != 1 || !only_consumer(dw.output, dw_users[0])) return -1;
    const size_t b = dw_users[0];
    const NhwcOp& pw = g.ops[b];
    if (pw.kind != Kind::kConvolution || pw.kernel_h != 1 || pw.kernel_w != 1 || pw.stride_h != 1 ||
        pw.stride_w != 1 || pw.groups != 1 || pw.pad_top != 0 || pw.pad_left != 0 ||
        pw.pad_bottom != 0 || pw.pad_right != 0 || pw.group_input_channels != dw.input_channels ||
        pw.group_output_channels != dw.input_channels || pw.output_min != -inf || pw.output_max != inf) {
      return -1;
    }
    const auto& pw_users = consumers[static_cast<size_t>(pw.output)];
    if (pw_users.size() != 1 || !only_consumer(pw.output, pw_users[0])) return -1;
    const size_t c = pw_users[0];
    const NhwcOp& add = g.ops[c];
    const int x = dw.inputs[0];
    if (add.kind != Kind::kAdd ||
        !((add.inputs[0] == pw.output && add.inputs[1] == x) || (add.inputs[1] == pw.output && add.inputs[0] == x))) {
      return -1;
    }
    return static_cast<int>(c);
  };
  std::vector<bool> removed(op_count, false);
  std::vector<std::pair<size_t, NhwcOp>> inserts;  // chain op placed where its last add was
  int fused = 0;
  for (size_t a = 0; a < op_count; ++a) {
    if (removed[a]) continue;
    int c = match_block(a);
    if (c < 0) continue;
    NhwcOp chain;
    chain.kind = Kind::kResidualChain;
    chain.inputs = {g.ops[a].inputs[0]};
    size_t block_dw = a;
    while (true) {
      const NhwcOp& dw = g.ops[block_dw];
      const size_t b = consumers[static_cast<size_t>(dw.output)][0];
      const NhwcOp& pw = g.ops[b];
      const NhwcOp& add = g.ops[static_cast<size_t>(c)];
      const size_t channels = dw.input_channels;
      // OHWI [C_out][1][1][C_in] -> [C_in][C_out].
      const std::vector<float>& src = g.constants[static_cast<size_t>(pw.weights)].data;
      std::vector<float> transposed(src.size());
      for (size_t o = 0; o < channels; ++o) {
        for (size_t i = 0; i < channels; ++i) transposed[i * channels + o] = src[o * channels + i];
      }
      g.constants.push_back({{channels, channels}, std::move(transposed)});
      chain.blocks.push_back({dw.weights, dw.bias, static_cast<int>(g.constants.size()) - 1, pw.bias,
                              add.output_min, add.output_max});
      removed[block_dw] = removed[b] = removed[static_cast<size_t>(c)] = true;
      chain.output = add.output;
      ++fused;
      // Continue when the add's output feeds exactly the next block (its depthwise and its add).
      const int y = add.output;
      const auto& users = consumers[static_cast<size_t>(y)];
      if (is_output[static_cast<size_t>(y)] || users.size() != 2) break;
      const size_t next = users[0];
      const int next_add = match_block(next);
      if (next_add < 0 || static_cast<size_t>(next_add) != users[1]) break;
      block_dw = next;
      c = next_add;
    }
    inserts.emplace_back(static_cast<size_t>(producer[static_cast<size_t>(chain.output)]), std::move(chain));
  }
  if (fused == 0) return 0;
  std::vector<NhwcOp> ops;
  size_t next_insert = 0;
  std::sort(inserts.begin(), inserts.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  for (size_t i = 0; i < op_count; ++i) {
    if (!removed[i]) ops.push_back(std::move(g.ops[i]));
    while (next_insert < inserts.size() && inserts[next_insert].first == i) {
      ops.push_back(std::move(inserts[next_insert++].second));
    }
  }
  g.ops = std::move(ops);
  return fused;
}

// Winograd's transformed weights are 4 times the size of the 3x3 ones and are read again for
// every block of tiles: beyond 64 x 64 channels they no longer stay in L2, and on an image of
// fewer tiles than a block the convolution is bound by reading them. dlib ResNet's 8x8x128 and
// 4x4x256 layers ran 1.1-8 times slower than XNNPACK's; its 35x35x32 and 17x17x64 ones 2 times
// faster (nn_bench --per-op).
constexpr size_t kWinogradMaxChannelProduct = 64 * 64;

int UseWinogradConvolutions(NhwcGraph* graph) {
  int moved = 0;
  for (NhwcOp& op : graph->ops) {
    if (op.kind != Kind::kConvolution || op.kernel_h != 3 || op.kernel_w != 3 || op.stride_h != 1 ||
        op.stride_w != 1 || op.dilation_h != 1 || op.dilation_w != 1 || op.pad_top != 1 ||
        op.pad_left != 1 || op.pad_bottom != 1 || op.pad_right != 1 || op.groups != 1 ||
        op.group_input_channels % 8 != 0 || op.group_output_channels % 8 != 0 ||
        op.group_input_channels * op.group_output_channels > kWinogradMaxChannelProduct) {
      continue;
    }
    const std::vector<size_t>& out = graph->values[static_cast<size_t>(op.output)];  // H, W, C
    if (WinogradTileCount(static_cast<int>(out[0]), static_cast<int>(out[1])) <
        kWinogradTileBlock) {
      continue;
    }
    const auto cin = static_cast<int>(op.group_input_channels);
    const auto cout = static_cast<int>(op.group_output_channels);
    std::vector<float>& ohwi = graph->constants[static_cast<size_t>(op.weights)].data;
    std::vector<float> transformed = WinogradTransformWeights(ohwi.data(), cin, cout);
    std::vector<float>().swap(ohwi);  // no longer used
    graph->constants.push_back(
        {{36, op.group_input_channels, op.group_output_channels}, std::move(transformed)});
    op.weights = static_cast<int>(graph->constants.size()) - 1;
    op.kind = Kind::kWinogradConvolution;
    ++moved;
  }
  return moved;
}

int FuseConvPointwiseDepthwise(NhwcGraph* graph) {
  NhwcGraph& g = *graph;
  std::vector<int> consumer_count(g.values.size(), 0), consumer(g.values.size(), -1);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int v : g.ops[i].inputs) {
      ++consumer_count[static_cast<size_t>(v)];
      consumer[static_cast<size_t>(v)] = static_cast<int>(i);
    }
  }
  for (const NhwcGraph::Output& out : g.outputs) ++consumer_count[static_cast<size_t>(out.value)];
  auto only_consumer = [&](const NhwcOp& op) {
    const auto v = static_cast<size_t>(op.output);
    return consumer_count[v] == 1 ? consumer[v] : -1;
  };
  std::vector<bool> removed(g.ops.size(), false);
  int fused = 0;
  for (size_t a = 0; a < g.ops.size(); ++a) {
    const NhwcOp& conv = g.ops[a];
    if (conv.kind != Kind::kConvolution || conv.groups != 1 || conv.dilation_h != 1 ||
        conv.dilation_w != 1 || conv.group_input_channels > 4 ||
        conv.group_output_channels % 8 != 0) {
      continue;
    }
    const int b = only_consumer(conv);
    if (b < 0) continue;
    const NhwcOp& pw = g.ops[static_cast<size_t>(b)];
    if (pw.kind != Kind::kConvolution || pw.kernel_h != 1 || pw.kernel_w != 1 || pw.stride_h != 1 ||
        pw.stride_w != 1 || pw.groups != 1 || pw.pad_top != 0 || pw.pad_left != 0 ||
        pw.pad_bottom != 0 || pw.pad_right != 0 || pw.group_output_channels % 8 != 0) {
      continue;
    }
    const int c = only_consumer(pw);
    if (c < 0) continue;
    NhwcOp& dw = g.ops[static_cast<size_t>(c)];
    if (dw.kind != Kind::kDepthwiseConvolution || dw.kernel_h != 3 || dw.kernel_w != 3 ||
        dw.depth_multiplier != 1 || dw.dilation_h != 1 || dw.dilation_w != 1 ||
        dw.stride_h != dw.stride_w || dw.stride_h > 2) {
      continue;
    }
    NhwcOp op = conv;  // geometry, bias and clamp of the dense convolution
    op.kind = Kind::kConvPointwiseDepthwise;
    std::vector<float>& ohwi = g.constants[static_cast<size_t>(conv.weights)].data;
    std::vector<float> transposed = TransposeConvWeights(ohwi, conv.group_output_channels);
    std::vector<float>().swap(ohwi);  // no longer used
    g.constants.push_back({{transposed.size()}, std::move(transposed)});
    op.weights = static_cast<int>(g.constants.size()) - 1;
    std::vector<float>& pw_ohwi = g.constants[static_cast<size_t>(pw.weights)].data;
    std::vector<float> pw_transposed = TransposeConvWeights(pw_ohwi, pw.group_output_channels);
    std::vector<float>().swap(pw_ohwi);
    g.constants.push_back({{pw_transposed.size()}, std::move(pw_transposed)});
    op.tail.pointwise = static_cast<int>(g.constants.size()) - 1;
    op.tail.pointwise_bias = pw.bias;
    op.tail.channels = pw.group_output_channels;
    op.tail.pointwise_min = pw.output_min;
    op.tail.pointwise_max = pw.output_max;
    op.tail.depthwise = dw.weights;
    op.tail.depthwise_bias = dw.bias;
    op.tail.depthwise_stride = dw.stride_h;
    op.tail.depthwise_pad_top = dw.pad_top;
    op.tail.depthwise_pad_left = dw.pad_left;
    op.tail.depthwise_min = dw.output_min;
    op.tail.depthwise_max = dw.output_max;
    op.output = dw.output;
    dw = std::move(op);  // in the depthwise op's place: its consumers come after it
    removed[a] = removed[static_cast<size_t>(b)] = true;
    ++fused;
  }
  if (fused == 0) return 0;
  std::vector<NhwcOp> ops;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (!removed[i]) ops.push_back(std::move(g.ops[i]));
  }
  g.ops = std::move(ops);
  return fused;
}

}  // namespace facet::nn
