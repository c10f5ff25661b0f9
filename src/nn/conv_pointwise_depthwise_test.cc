// facet's fused convolution -> 1x1 -> depthwise 3x3 kernel (AVX2 and portable paths) against the
// three layers computed one after the other, the obvious way, in double.
#include "nn/conv_pointwise_depthwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace facet::nn {
namespace {

// y = clamp(conv(x) + bias) for an NHWC image; weights [kh][kw][C_in][C_out] (depthwise: C_in
// = 1 and channel c reads input channel c).
std::vector<double> Conv(const std::vector<double>& x, int h, int w, int cin, int cout, int kh,
                         int kw, int stride, int pad_top, int pad_left, int oh, int ow,
                         bool depthwise, const std::vector<float>& weights,
                         const std::vector<float>& bias, float lo, float hi) {
  std::vector<double> y(static_cast<size_t>(oh) * ow * cout);
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int co = 0; co < cout; ++co) {
        double acc = bias[static_cast<size_t>(co)];
        for (int ky = 0; ky < kh; ++ky) {
          for (int kx = 0; kx < kw; ++kx) {
            const int iy = oy * stride - pad_top + ky, ix = ox * stride - pad_left + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double* in = &x[(static_cast<size_t>(iy) * w + ix) * cin];
            if (depthwise) {
              acc += in[co] * weights[static_cast<size_t>(ky * kw + kx) * cout + co];
              continue;
            }
            for (int ci = 0; ci < cin; ++ci) {
              acc += in[ci] * weights[((static_cast<size_t>(ky) * kw + kx) * cin + ci) * cout + co];
            }
          }
        }
        y[(static_cast<size_t>(oy) * ow + ox) * cout + co] =
            std::clamp(acc, double{lo}, double{hi});
      }
    }
  }
  return y;
}

std::vector<float> Formula(size_t n, double scale, double phase) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(scale * std::sin(0.37 * static_cast<double>(i) + phase));
  return v;
}

struct Shape {
  int h, w, cin, conv_channels, channels, stride, depthwise_stride;
};

class ConvPointwiseDepthwiseTest : public ::testing::TestWithParam<Shape> {};

TEST_P(ConvPointwiseDepthwiseTest, BothPathsMatchTheLayersOneByOne) {
  const Shape s = GetParam();
  ConvPointwiseDepthwise k;
  k.in_height = s.h;
  k.in_width = s.w;
  k.conv_in_channels = s.cin;
  k.conv_channels = s.conv_channels;
  k.kernel_h = k.kernel_w = 3;
  k.stride_h = k.stride_w = s.stride;
  k.pad_top = k.pad_left = 1;
  k.mid_height = (s.h + 2 - 3) / s.stride + 1;
  k.mid_width = (s.w + 2 - 3) / s.stride + 1;
  k.channels = s.channels;
  k.depthwise_stride = s.depthwise_stride;
  k.out_height = (k.mid_height + 2 - 3) / s.depthwise_stride + 1;
  k.out_width = (k.mid_width + 2 - 3) / s.depthwise_stride + 1;
  const std::vector<float> x = Formula(static_cast<size_t>(s.h) * s.w * s.cin, 1.0, 0.0);
  const std::vector<float> conv_w =
      Formula(9 * static_cast<size_t>(s.cin) * s.conv_channels, 0.3, 0.5);
  const std::vector<float> conv_b = Formula(static_cast<size_t>(s.conv_channels), 0.1, 1.0);
  const std::vector<float> pw_w =
      Formula(static_cast<size_t>(s.conv_channels) * s.channels, 0.25, 2.0);
  const std::vector<float> pw_b = Formula(static_cast<size_t>(s.channels), 0.1, 3.0);
  const std::vector<float> dw_w = Formula(9 * static_cast<size_t>(s.channels), 0.4, 4.0);
  const std::vector<float> dw_b = Formula(static_cast<size_t>(s.channels), 0.1, 5.0);
  k.conv_weights = conv_w.data();
  k.conv_bias = conv_b.data();
  k.conv_min = 0.0f;  // ReLU
  k.conv_max = 1e30f;
  k.pointwise_weights = pw_w.data();
  k.pointwise_bias = pw_b.data();
  k.pointwise_min = -0.5f;  // a clamp that cuts on both sides
  k.pointwise_max = 0.6f;
  k.depthwise_weights = dw_w.data();
  k.depthwise_bias = dw_b.data();
  k.depthwise_min = 0.0f;
  k.depthwise_max = 6.0f;
  const std::vector<double> xd(x.begin(), x.end());
  const std::vector<double> mid =
      Conv(xd, s.h, s.w, s.cin, s.conv_channels, 3, 3, s.stride, 1, 1, k.mid_height, k.mid_width,
           false, conv_w, conv_b, k.conv_min, k.conv_max);
  const std::vector<double> pw =
      Conv(mid, k.mid_height, k.mid_width, s.conv_channels, s.channels, 1, 1, 1, 0, 0, k.mid_height,
           k.mid_width, false, pw_w, pw_b, k.pointwise_min, k.pointwise_max);
  const std::vector<double> want =
      Conv(pw, k.mid_height, k.mid_width, s.channels, s.channels, 3, 3, s.depthwise_stride, 1, 1,
           k.out_height, k.out_width, true, dw_w, dw_b, k.depthwise_min, k.depthwise_max);
  std::vector<float> scratch(ConvPointwiseDepthwiseScratch(k));
  for (bool portable : {false, true}) {
    std::vector<float> got(want.size(), -7.0f);
    // Two row ranges, as two threads run them.
    const int split = k.out_height / 2;
    RunConvPointwiseDepthwise(k, x.data(), got.data(), 0, split, scratch.data(), portable);
    RunConvPointwiseDepthwise(k, x.data(), got.data(), split, k.out_height, scratch.data(),
                              portable);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
    EXPECT_LT(worst, 1e-5) << (portable ? "portable" : "default") << " path";
  }
}

// RetinaFace's stem (3 -> 16 -> 32, strides 2 and 2), odd sizes, stride-1 variants, one pixel.
INSTANTIATE_TEST_SUITE_P(Shapes, ConvPointwiseDepthwiseTest,
                         ::testing::Values(Shape{24, 32, 3, 16, 32, 2, 2},
                                           Shape{23, 17, 3, 16, 32, 2, 2},
                                           Shape{9, 11, 3, 8, 16, 1, 1},
                                           Shape{10, 7, 8, 16, 8, 1, 2}, Shape{1, 1, 3, 8, 8, 2, 2},
                                           Shape{6, 70, 3, 16, 32, 2, 2}));

TEST(ConvPointwiseDepthwiseTest, TransposesConvWeightsToInputMajor) {
  // 2 output channels of 3 inputs each (OHWI with 1x1 kernels).
  const std::vector<float> ohwi = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(TransposeConvWeights(ohwi, 2), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

}  // namespace
}  // namespace facet::nn
