// An ONNX graph (NCHW) lowered to a list of NHWC operators that map one to one onto XNNPACK's
// subgraph API. Built once per model and process (nn::ModelFile holds it), immutable after that
// and shared by every Session's runtimes; the weights live here (re-laid out: OIHW -> OHWI,
// depthwise [C,1,kh,kw] -> [1,kh,kw,C], fully connected columns reordered when they follow a
// flatten of an NHWC tensor).
//
// What is lowered (everything facet's models use; anything else is kInvalidArgument naming the
// operator): Conv (grouped, depthwise, dilated), Relu/Clip (fused into the producer when it is
// the only consumer), PRelu, Add, MaxPool/AveragePool (ceil_mode too), GlobalAveragePool,
// Flatten, Gemm, Softmax, Sigmoid, Pad (constant), Identity, Reshape (to a constant shape),
// Transpose between NHWC and NCHW, ConstantOfShape + Concat with zeros (channel zero-padding, as
// BlazeFace writes it), Concat of tensors (each zero-padded to the full size, then added: the
// 2022 XNNPACK has no concatenation), ConvTranspose as nearest x2 upsampling (RetinaFace's FPN). Layout: every 4-D tensor the ONNX graph treats as NCHW is kept NHWC; a
// Transpose that only converts between the two is free.
#ifndef FACET_SRC_NN_NHWC_GRAPH_H_
#define FACET_SRC_NN_NHWC_GRAPH_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "facet/status.h"
#include "nn/onnx.h"

namespace facet::nn {

struct NhwcOp {
  enum class Kind {
    kConvolution,
    kDepthwiseConvolution,
    kFullyConnected,
    kMaxPool,
    kAveragePool,
    kGlobalAveragePool,
    kAdd,
    kPrelu,
    kClamp,
    kSigmoid,
    kSoftmax,
    kPad,
    kReshape,
    // facet's own kernel (nn/fused_kernels.h), not XNNPACK: a chain of residual blocks
    // y = clamp(x + pointwise(depthwise3x3(x))), found by FuseResidualChains.
    kResidualChain,
    // facet's own kernel: nearest-neighbour x2 upsampling (a depthwise 2x2 / stride 2
    // ConvTranspose with weights 1 and no bias, as RetinaFace's converted FPN writes it).
    kUpsampleNearest2x,
    // facet's own kernel (nn/winograd_conv.h): a dense 3x3 / stride 1 / padding 1 convolution
    // by Winograd's F(4x4, 3x3); weights transformed to [36][C_in][C_out]. Made by
    // UseWinogradConvolutions.
    kWinogradConvolution,
    // facet's own kernel (nn/conv_pointwise_depthwise.h): a dense convolution on the image (the
    // op's own fields; weights transposed to [kh][kw][C_in][C_out]), a 1x1 convolution and a
    // depthwise 3x3 (`tail`), row by row. Made by FuseConvPointwiseDepthwise.
    kConvPointwiseDepthwise,
  };
  Kind kind = Kind::kClamp;
  std::vector<int> inputs;  // value ids
  int output = -1;          // value id
  // Convolution and pooling geometry.
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int groups = 1;
  size_t group_input_channels = 0, group_output_channels = 0;  // convolution
  size_t depth_multiplier = 1, input_channels = 0;            // depthwise convolution
  // Constant ids (NhwcGraph::constants): weights of convolution / fully connected, their bias,
  // PReLU slopes. -1: none.
  int weights = -1;
  int bias = -1;
  // kPad: zeros before / after each dimension of the output (batch first, NHWC).
  std::vector<size_t> pad_before, pad_after;
  float pad_value = 0;
  float output_min = -std::numeric_limits<float>::infinity();
  float output_max = std::numeric_limits<float>::infinity();
  // kResidualChain: per block, constant ids of the depthwise weights [1,3,3,C] and bias, the
  // pointwise weights transposed to [C_in][C_out] and bias, and the block's output clamp.
  struct Block {
    int depthwise = -1, depthwise_bias = -1, pointwise = -1, pointwise_bias = -1;
    float output_min = 0, output_max = 0;
  };
  std::vector<Block> blocks;
  // kConvPointwiseDepthwise: the layers after the dense convolution.
  struct PointwiseDepthwise {
    int pointwise = -1, pointwise_bias = -1;  // [C_conv][C] (transposed), [C]
    size_t channels = 0;
    float pointwise_min = 0, pointwise_max = 0;
    int depthwise = -1, depthwise_bias = -1;  // [1, 3, 3, C], [C]
    int depthwise_stride = 1, depthwise_pad_top = 1, depthwise_pad_left = 1;
    float depthwise_min = 0, depthwise_max = 0;
  };
  PointwiseDepthwise tail;
};

// A constant tensor: weights in XNNPACK's layout.
struct NhwcConstant {
  std::vector<size_t> dims;
  std::vector<float> data;
};

struct NhwcGraph {
  // Value shapes WITHOUT the batch dimension (physical, NHWC for images).
  std::vector<std::vector<size_t>> values;
  std::vector<NhwcConstant> constants;
  std::vector<NhwcOp> ops;

  int input = -1;
  std::string input_name;
  std::vector<int64_t> input_dims;  // as ONNX declares it (batch -1 when symbolic)
  bool input_nchw = false;          // the caller's input is NCHW and is transposed on entry
  int fixed_batch = 0;              // 0: any batch size; else the only one the model takes

  struct Output {
    std::string name;
    int value = -1;
    std::vector<int64_t> dims;  // ONNX logical dims, batch first (-1 when symbolic)
    bool nchw = false;          // stored NHWC, handed out NCHW (transposed on exit)
  };
  std::vector<Output> outputs;
};

// Lowers `model`; kInvalidArgument naming the first operator or pattern it cannot lower. With
// `facet_kernels`, FuseResidualChains, FuseConvPointwiseDepthwise and UseWinogradConvolutions
// move what they match onto facet's kernels. XNNPACK fixes every shape, so a model whose input has
// symbolic dimensions other than the batch (a fully convolutional detector taking any image size)
// is lowered for one size at a time: `input_dims` (batch first; empty: as the model declares)
// replaces the declared input shape.
Result<NhwcGraph> LowerToNhwc(const onnx::Model& model, bool facet_kernels = true,
                              const std::vector<int64_t>& input_dims = {});

// True when the model's input has a symbolic dimension other than the batch.
bool HasVariableInputSize(const onnx::Model& model);

// Replaces every run of residual blocks -- depthwise 3x3 (stride 1, padding 1, no clamp, C a
// multiple of 8) -> 1x1 convolution C -> C (no clamp) -> add of the block's input [-> clamp],
// where the intermediate images have no other consumer -- by one kResidualChain op. Returns the
// number of blocks fused.
int FuseResidualChains(NhwcGraph* graph);

// Moves every dense convolution that Winograd's F(4x4, 3x3) computes faster than XNNPACK -- 3x3,
// stride 1, dilation 1, padding 1 on every side, one group, input and output channels multiples
// of 8 with C_in x C_out <= 64 x 64, at least one block of tiles -- onto facet's kernel
// (kWinogradConvolution, weights transformed). Returns how many.
int UseWinogradConvolutions(NhwcGraph* graph);

// Replaces each dense convolution on an image of at most 4 channels (a network's stem) followed
// by a 1x1 convolution and a depthwise 3x3 (stride 1 or 2, multiplier 1), each the only consumer
// of the one before, channels multiples of 8, by one kConvPointwiseDepthwise op. Returns how many.
int FuseConvPointwiseDepthwise(NhwcGraph* graph);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_NHWC_GRAPH_H_
