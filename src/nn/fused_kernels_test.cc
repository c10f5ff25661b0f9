// facet's fused residual-chain kernel (AVX2 and portable paths) against a direct reference.
#include "nn/fused_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace facet::nn {
namespace {

struct Block {
  std::vector<float> dw, dw_bias, pw, pw_bias;  // pw: [C_in][C_out]
  float lo, hi;
};

// y = clamp(x + pw(dw3x3(x))) for one block, the obvious way.
std::vector<float> Reference(const std::vector<float>& x, int h, int w, int c, const Block& b) {
  std::vector<float> y(x.size());
  std::vector<float> d(static_cast<size_t>(c));
  for (int yy = 0; yy < h; ++yy) {
    for (int xx = 0; xx < w; ++xx) {
      for (int ch = 0; ch < c; ++ch) {
        double acc = b.dw_bias[ch];
        for (int ky = -1; ky <= 1; ++ky) {
          for (int kx = -1; kx <= 1; ++kx) {
            const int sy = yy + ky, sx = xx + kx;
            if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
            acc += static_cast<double>(x[(static_cast<size_t>(sy) * w + sx) * c + ch]) *
                   b.dw[static_cast<size_t>(((ky + 1) * 3 + kx + 1) * c + ch)];
          }
        }
        d[static_cast<size_t>(ch)] = static_cast<float>(acc);
      }
      for (int co = 0; co < c; ++co) {
        const size_t at = (static_cast<size_t>(yy) * w + xx) * c + co;
        double acc = static_cast<double>(b.pw_bias[co]) + x[at];
        for (int ci = 0; ci < c; ++ci) {
          acc += static_cast<double>(d[static_cast<size_t>(ci)]) * b.pw[static_cast<size_t>(ci * c + co)];
        }
        y[at] = std::clamp(static_cast<float>(acc), b.lo, b.hi);
      }
    }
  }
  return y;
}

struct Shape {
  int h, w, c, blocks;
};

class ResidualChainTest : public ::testing::TestWithParam<Shape> {};

TEST_P(ResidualChainTest, BothPathsMatchTheReference) {
  const auto [h, w, c, count] = GetParam();
  std::vector<Block> blocks(static_cast<size_t>(count));
  std::vector<ResidualBlockWeights> weights;
  for (int k = 0; k < count; ++k) {
    Block& b = blocks[static_cast<size_t>(k)];
    for (int i = 0; i < 9 * c; ++i) b.dw.push_back(0.4f * std::cos(0.3f * i + k));
    for (int i = 0; i < c; ++i) b.dw_bias.push_back(0.05f * std::sin(1.0f * i + k));
    for (int i = 0; i < c * c; ++i) b.pw.push_back(0.3f * std::sin(0.71f * i + 2.0f * k) / std::sqrt(c));
    for (int i = 0; i < c; ++i) b.pw_bias.push_back(0.02f * i - 0.1f);
    b.lo = k % 2 == 0 ? 0.0f : -std::numeric_limits<float>::infinity();  // relu / none
    b.hi = k == 1 ? 0.8f : std::numeric_limits<float>::infinity();
    weights.push_back({c, b.dw.data(), b.dw_bias.data(), b.pw.data(), b.pw_bias.data(), b.lo, b.hi});
  }
  std::vector<float> x(static_cast<size_t>(h) * w * c);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
  std::vector<float> expected = x;
  for (const Block& b : blocks) expected = Reference(expected, h, w, c, b);
  for (bool portable : {false, true}) {
    SCOPED_TRACE(portable ? "portable" : "avx2 (when the CPU has it)");
    std::vector<float> y(x.size(), -1.0f);
    std::vector<float> scratch(ResidualChainScratch(w, c, count), 123.0f);  // dirty on purpose
    ResidualChain(x.data(), h, w, weights.data(), count, y.data(), scratch.data(), portable);
    float max_err = 0;
    for (size_t i = 0; i < y.size(); ++i) max_err = std::max(max_err, std::abs(y[i] - expected[i]));
    EXPECT_LE(max_err, 2e-5f);
  }
}

// Widths that exercise every pixel-tile remainder, channel counts for each register blocking
// (multiples of 24, of 16, of 8 only), 1x1 images and chains of 1-4 blocks.
INSTANTIATE_TEST_SUITE_P(Shapes, ResidualChainTest,
                         ::testing::Values(Shape{1, 1, 8, 1}, Shape{1, 2, 8, 2}, Shape{2, 3, 16, 1},
                                           Shape{5, 7, 24, 3}, Shape{4, 9, 48, 2}, Shape{3, 13, 32, 4},
                                           Shape{6, 5, 40, 2}, Shape{9, 4, 96, 2}, Shape{16, 16, 24, 7}),
                         [](const ::testing::TestParamInfo<Shape>& param_info) {
                           const Shape& s = param_info.param;
                           return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" +
                                  std::to_string(s.c) + "_blocks" + std::to_string(s.blocks);
                         });

}  // namespace
}  // namespace facet::nn

namespace facet::nn {
namespace {

TEST(UpsampleNearest2xTest, EachPixelBecomesA2x2Block) {
  const int h = 2, w = 3, c = 5;
  std::vector<float> x(static_cast<size_t>(h * w * c));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) + 0.5f;
  std::vector<float> y(x.size() * 4, -1.0f);
  UpsampleNearest2x(x.data(), h, w, c, y.data());
  for (int row = 0; row < 2 * h; ++row) {
    for (int col = 0; col < 2 * w; ++col) {
      for (int ch = 0; ch < c; ++ch) {
        const float want = x[static_cast<size_t>(((row / 2) * w + col / 2) * c + ch)];
        EXPECT_EQ(y[static_cast<size_t>((row * 2 * w + col) * c + ch)], want)
            << row << "," << col << "," << ch;
      }
    }
  }
}

}  // namespace
}  // namespace facet::nn
