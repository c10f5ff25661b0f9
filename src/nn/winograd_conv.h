// facet's Winograd F(4x4, 3x3) convolution: 3x3, stride 1, zero padding 1, dense (one group),
// NHWC. RetinaFace's FPN and SSH heads are made of such convolutions with 16-64 channels, where
// XNNPACK's indirect GEMM does 9 multiply-adds per weight and pixel; Winograd's transform does
// the same convolution with 2.25 per pixel (36 per 4x4 output tile) plus cheap additions.
// (F(2x2, 3x3), 4 per pixel, was measured first: 4.7 ms for RetinaFace's 96x128 64->64 layer
// against 3.2 ms here and 8.4 ms in XNNPACK.)
//
// Per tile of 4x4 outputs: V = B' d B (the 6x6 input patch d, per input channel), M[k] = V[k] x
// U[k] for the 36 positions k (a GEMM over the channels, U = G g G' the transformed weights), and
// Y = A' M A (+ bias, clamped). Tiles are processed in blocks of kWinogradTileBlock so that the
// transformed inputs and products of a block and the weights stay in L2 cache.
//
// Pure functions; thread-safe. AVX2+FMA code with a portable fallback chosen at run time.
#ifndef FACET_SRC_NN_WINOGRAD_CONV_H_
#define FACET_SRC_NN_WINOGRAD_CONV_H_

#include <cstddef>
#include <vector>

namespace facet::nn {

// Tiles transformed and multiplied together (a multiple of the GEMM's 6 rows).
inline constexpr int kWinogradTileBlock = 18;

struct WinogradConvParams {
  int in_channels = 0;             // C_in: a multiple of 8 for the AVX2 path
  int out_channels = 0;            // C_out: a multiple of 8 for the AVX2 path
  const float* weights = nullptr;  // WinogradTransformWeights: [36][C_in][C_out]
  const float* bias = nullptr;     // [C_out]
  float output_min = -__builtin_inff();
  float output_max = __builtin_inff();
};

// XNNPACK-layout weights (OHWI: [C_out][3][3][C_in]) -> the 36 transformed matrices U[k] =
// (G g G')[k], each [C_in][C_out].
std::vector<float> WinogradTransformWeights(const float* ohwi, int in_channels, int out_channels);

// Floats of scratch one call of WinogradConv3x3 needs.
size_t WinogradScratch(int in_channels, int out_channels);

// Tiles of 4x4 outputs of an image: ceil(height / 4) x ceil(width / 4), numbered row-major.
int WinogradTileCount(int height, int width);

// The outputs of tiles [tile_begin, tile_end) of the convolution of x ([height][width][C_in])
// into y ([height][width][C_out]); the whole image with [0, WinogradTileCount). Disjoint tile
// ranges may run in parallel, each with its own scratch (WinogradScratch floats). `portable`
// forces the fallback code (tests compare the two).
void WinogradConv3x3(const float* x, int height, int width, const WinogradConvParams& p, float* y,
                     int tile_begin, int tile_end, float* scratch, bool portable = false);

// True when this CPU runs the AVX2 path for `p` (AVX2 and FMA, channels multiples of 8).
bool WinogradUsesAvx2(const WinogradConvParams& p);

}  // namespace facet::nn

#endif  // FACET_SRC_NN_WINOGRAD_CONV_H_
