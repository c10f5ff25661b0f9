// facet's own fused CPU kernels, for the patterns where XNNPACK (which runs one operator at a
// time, each a full pass over memory) loses to runtimes that fuse.
//
// Residual blocks: y = clamp(x + pointwise(depthwise3x3(x)), lo, hi) over an NHWC image, the
// "BlazeBlock" BlazeFace repeats in chains of 7 at each resolution. XNNPACK runs a block as 3
// operators with 2 intermediate images; at 128x128x24 those are 1.5 MB each, past the 1 MiB L2,
// so the chain is memory-bound (bench/nn_bench --per-op: 0.75 ms per block, the depthwise pass
// alone 0.44 ms). Here a whole chain is computed row by row: each intermediate image lives as a
// ring of 3 rows, so the chain reads its input once and writes its output once.
//
// Pure functions; thread-safe. AVX2+FMA code with a portable fallback, chosen at run time.
#ifndef FACET_SRC_NN_FUSED_KERNELS_H_
#define FACET_SRC_NN_FUSED_KERNELS_H_

#include <cstddef>

namespace facet::nn {

struct ResidualBlockWeights {
  int channels = 0;                         // C: input = output channels, a multiple of 8
  const float* depthwise = nullptr;         // [3][3][C] (XNNPACK's [1, 3, 3, C])
  const float* depthwise_bias = nullptr;    // [C]
  const float* pointwise = nullptr;         // [C_in][C_out] (transposed from OHWI [C_out][C_in])
  const float* pointwise_bias = nullptr;    // [C]
  float output_min = 0;
  float output_max = 0;
};

// Floats of scratch ResidualChain needs.
size_t ResidualChainScratch(int width, int channels, int blocks);

// A chain of residual blocks of the same shape, each y = clamp(x + pw(dw3x3(x)), min, max) with
// the depthwise convolution stride 1, zero padding 1, computed row by row as a wavefront: block k
// makes its row r as soon as block k-1 has made rows r-1..r+1, and keeps only 3 rows of each
// intermediate image (in L1/L2). x and y: [height][width][C], distinct; every block has the same
// channel count. `scratch`: ResidualChainScratch(width, C, block_count) floats. `portable` forces
// the fallback code (tests compare the two).
void ResidualChain(const float* x, int height, int width, const ResidualBlockWeights* blocks,
                   int block_count, float* y, float* scratch, bool portable = false);

// Nearest-neighbour x2 upsampling of an NHWC image `x` (height x width x channels) into `y`
// (2 height x 2 width x channels): each pixel becomes a 2x2 block. RetinaFace's FPN upsampling
// (written as a depthwise 2x2 / stride 2 transposed convolution with weights 1, which XNNPACK
// runs as a grouped GEMM ~10x slower than these copies).
void UpsampleNearest2x(const float* x, int height, int width, int channels, float* y);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_FUSED_KERNELS_H_
