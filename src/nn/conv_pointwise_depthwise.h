// facet's fused kernel for the stem of a MobileNet: a dense convolution (RetinaFace's 3x3 /
// stride 2 on the RGB image), a 1x1 convolution and a depthwise 3x3, computed row by row. At
// full resolution XNNPACK writes and reads back two large intermediate images (at 1024x768:
// 12.6 MB and 25 MB, far past the caches): the three operators took 10.3 ms of 43 and were
// memory-bound. Here the dense convolution's row and a ring of 3 rows of the 1x1 convolution's
// output live in L1/L2, so the kernel reads the input once and writes only the depthwise output.
//
// Each layer: y = clamp(conv(x) + bias, min, max). Pure functions; thread-safe. AVX2+FMA code
// with a portable fallback chosen at run time.
#ifndef FACET_SRC_NN_CONV_POINTWISE_DEPTHWISE_H_
#define FACET_SRC_NN_CONV_POINTWISE_DEPTHWISE_H_

#include <cstddef>
#include <vector>

namespace facet::nn {

struct ConvPointwiseDepthwise {
  // Input image [in_height][in_width][conv_in_channels].
  int in_height = 0, in_width = 0;
  // The dense convolution (one group, no dilation): [mid_height][mid_width][conv_channels].
  int conv_in_channels = 0, conv_channels = 0;  // conv_channels: a multiple of 8 for AVX2
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  const float* conv_weights = nullptr;  // [kernel_h][kernel_w][conv_in_channels][conv_channels]
  const float* conv_bias = nullptr;
  float conv_min = 0, conv_max = 0;
  int mid_height = 0, mid_width = 0;
  // The 1x1 convolution, conv_channels -> channels (a multiple of 8 for AVX2).
  int channels = 0;
  const float* pointwise_weights = nullptr;  // [conv_channels][channels]
  const float* pointwise_bias = nullptr;
  float pointwise_min = 0, pointwise_max = 0;
  // The depthwise 3x3 (multiplier 1, no dilation): [out_height][out_width][channels].
  int depthwise_stride = 1, depthwise_pad_top = 1, depthwise_pad_left = 1;
  const float* depthwise_weights = nullptr;  // [3][3][channels]
  const float* depthwise_bias = nullptr;
  float depthwise_min = 0, depthwise_max = 0;
  int out_height = 0, out_width = 0;
};

// The dense convolution's weights, OHWI ([C_out][kh][kw][C_in]) -> [kh][kw][C_in][C_out].
std::vector<float> TransposeConvWeights(const std::vector<float>& ohwi, size_t out_channels);

// Floats of scratch one call of RunConvPointwiseDepthwise needs.
size_t ConvPointwiseDepthwiseScratch(const ConvPointwiseDepthwise& k);

// Output rows [row_begin, row_end) of the depthwise layer from x into y. Disjoint row ranges may
// run in parallel, each with its own scratch (rows of the 1x1 layer at a range's edge are then
// computed twice). `portable` forces the fallback code (tests compare the two).
void RunConvPointwiseDepthwise(const ConvPointwiseDepthwise& k, const float* x, float* y,
                               int row_begin, int row_end, float* scratch, bool portable = false);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_CONV_POINTWISE_DEPTHWISE_H_
