// facet's Winograd F(4x4, 3x3) convolution (AVX2 and portable paths) against a direct reference.
#include "nn/winograd_conv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/nhwc_graph.h"

namespace facet::nn {
namespace {

struct Shape {
  int h, w, cin, cout;
};

// 3x3 / stride 1 / padding 1 convolution, weights OHWI, in double.
std::vector<float> Reference(const std::vector<float>& x, const Shape& s,
                             const std::vector<float>& w, const std::vector<float>& bias, float lo,
                             float hi) {
  std::vector<float> y(static_cast<size_t>(s.h) * s.w * s.cout);
  for (int yy = 0; yy < s.h; ++yy) {
    for (int xx = 0; xx < s.w; ++xx) {
      for (int co = 0; co < s.cout; ++co) {
        double acc = bias[static_cast<size_t>(co)];
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const int sy = yy + ky - 1, sx = xx + kx - 1;
            if (sy < 0 || sy >= s.h || sx < 0 || sx >= s.w) continue;
            for (int ci = 0; ci < s.cin; ++ci) {
              acc += static_cast<double>(x[(static_cast<size_t>(sy) * s.w + sx) * s.cin + ci]) *
                     w[((static_cast<size_t>(co) * 3 + ky) * 3 + kx) * s.cin + ci];
            }
          }
        }
        y[(static_cast<size_t>(yy) * s.w + xx) * s.cout + co] =
            std::clamp(static_cast<float>(acc), lo, hi);
      }
    }
  }
  return y;
}

class WinogradConvTest : public ::testing::TestWithParam<Shape> {};

TEST_P(WinogradConvTest, BothPathsMatchTheReference) {
  const Shape s = GetParam();
  std::vector<float> x(static_cast<size_t>(s.h) * s.w * s.cin);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  std::vector<float> w(static_cast<size_t>(s.cout) * 9 * s.cin);
  // Weights of a trained layer's size: ~1/sqrt(fan-in).
  const double scale = 1.0 / std::sqrt(9.0 * s.cin);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = static_cast<float>(scale * std::cos(0.91 * static_cast<double>(i) + 0.3));
  std::vector<float> bias(static_cast<size_t>(s.cout));
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
  const float lo = 0.0f, hi = 0.8f;  // a clamp that cuts on both sides
  const std::vector<float> want = Reference(x, s, w, bias, lo, hi);
  const std::vector<float> u = WinogradTransformWeights(w.data(), s.cin, s.cout);
  WinogradConvParams p;
  p.in_channels = s.cin;
  p.out_channels = s.cout;
  p.weights = u.data();
  p.bias = bias.data();
  p.output_min = lo;
  p.output_max = hi;
  std::vector<float> scratch(WinogradScratch(s.cin, s.cout));
  const int tiles = WinogradTileCount(s.h, s.w);
  for (bool portable : {false, true}) {
    std::vector<float> got(want.size(), -7.0f);
    // Two calls over disjoint tile ranges (the split inside a tile row), as two threads run it.
    const int split = tiles / 2 + 1;
    WinogradConv3x3(x.data(), s.h, s.w, p, got.data(), 0, std::min(split, tiles), scratch.data(),
                    portable);
    WinogradConv3x3(x.data(), s.h, s.w, p, got.data(), std::min(split, tiles), tiles,
                    scratch.data(), portable);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i)
      worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]));
    EXPECT_LT(worst, 2e-5) << (portable ? "portable" : "default") << " path, " << s.h << "x" << s.w
                           << "x" << s.cin << " -> " << s.cout;
  }
}

// Odd sizes (partial tiles at the right and bottom), a row wider than one tile block, 1-pixel
// images, and RetinaFace's channel counts (16, 32, 64).
INSTANTIATE_TEST_SUITE_P(Shapes, WinogradConvTest,
                         ::testing::Values(Shape{1, 1, 8, 8}, Shape{2, 2, 8, 16},
                                           Shape{5, 7, 16, 8}, Shape{6, 70, 64, 64},
                                           Shape{9, 13, 64, 32}, Shape{4, 67, 16, 16},
                                           Shape{3, 3, 32, 24}, Shape{7, 5, 4, 12}));

TEST(WinogradConvTest, AvxPathIsTakenWhereTheCpuHasIt) {
  WinogradConvParams p;
  p.in_channels = 64;
  p.out_channels = 64;
  EXPECT_EQ(WinogradUsesAvx2(p), __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  p.in_channels = 4;
  EXPECT_FALSE(WinogradUsesAvx2(p));
}

// The lowering moves a convolution onto the kernel only where it pays: weights that stay in L2
// (C_in x C_out <= 64 x 64) and at least one block of tiles.
TEST(WinogradConvTest, UsedOnlyWhereItIsFaster) {
  auto graph_with = [](size_t side, size_t channels) {
    NhwcGraph g;
    g.values = {{side, side, channels}, {side, side, channels}};
    g.constants.push_back(
        {{channels, 3, 3, channels}, std::vector<float>(9 * channels * channels, 0.1f)});
    g.constants.push_back({{channels}, std::vector<float>(channels, 0.0f)});
    NhwcOp op;
    op.kind = NhwcOp::Kind::kConvolution;
    op.kernel_h = op.kernel_w = 3;
    op.pad_top = op.pad_left = op.pad_bottom = op.pad_right = 1;
    op.group_input_channels = op.group_output_channels = channels;
    op.weights = 0;
    op.bias = 1;
    op.inputs = {0};
    op.output = 1;
    g.ops.push_back(op);
    return g;
  };
  NhwcGraph retinaface_like = graph_with(96, 64);
  EXPECT_EQ(UseWinogradConvolutions(&retinaface_like), 1);
  EXPECT_EQ(retinaface_like.ops[0].kind, NhwcOp::Kind::kWinogradConvolution);
  EXPECT_EQ(
      retinaface_like.constants[static_cast<size_t>(retinaface_like.ops[0].weights)].data.size(),
      36u * 64 * 64);
  NhwcGraph wide = graph_with(96, 128);  // dlib ResNet's 128 and 256 channels
  EXPECT_EQ(UseWinogradConvolutions(&wide), 0);
  NhwcGraph small = graph_with(8, 64);  // 4 tiles, fewer than a block
  EXPECT_EQ(UseWinogradConvolutions(&small), 0);
}

}  // namespace
}  // namespace facet::nn
