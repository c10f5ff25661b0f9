#include "nn/conv_pointwise_depthwise.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include "nn/avx2_gemm.h"

namespace facet::nn {
namespace {

// c[p][n] = clamp(bias[n] + sum_k a[p][k] b[k][n], lo, hi), the obvious way.
void GemmPortable(const avx2::GemmArgs& g, int rows, int cols) {
  for (int p = 0; p < rows; ++p) {
    float* c = g.c + static_cast<size_t>(p) * g.ldc;
    for (int n = 0; n < cols; ++n) c[n] = g.bias[n];
    const float* a = g.a + static_cast<size_t>(p) * g.lda;
    for (int k = 0; k < g.depth; ++k) {
      const float* b = g.b + static_cast<size_t>(k) * g.ldb;
      for (int n = 0; n < cols; ++n) c[n] += a[k] * b[n];
    }
    for (int n = 0; n < cols; ++n) c[n] = std::clamp(c[n], g.lo, g.hi);
  }
}

// One row of the depthwise layer from `rows` (its 3 input rows; null: padding).
void DepthwiseRowPortable(const ConvPointwiseDepthwise& k, const float* const rows[3], float* out) {
  const int c_count = k.channels;
  for (int ox = 0; ox < k.out_width; ++ox) {
    float* o = out + static_cast<size_t>(ox) * c_count;
    for (int c = 0; c < c_count; ++c) o[c] = k.depthwise_bias[c];
    for (int ky = 0; ky < 3; ++ky) {
      if (rows[ky] == nullptr) continue;
      for (int kx = 0; kx < 3; ++kx) {
        const int ix = ox * k.depthwise_stride - k.depthwise_pad_left + kx;
        if (ix < 0 || ix >= k.mid_width) continue;
        const float* in = rows[ky] + static_cast<size_t>(ix) * c_count;
        const float* w = k.depthwise_weights + static_cast<size_t>(ky * 3 + kx) * c_count;
        for (int c = 0; c < c_count; ++c) o[c] += in[c] * w[c];
      }
    }
    for (int c = 0; c < c_count; ++c) o[c] = std::clamp(o[c], k.depthwise_min, k.depthwise_max);
  }
}

FACET_AVX2 void DepthwiseRowAvx2(const ConvPointwiseDepthwise& k, const float* const rows[3],
                                 float* out) {
  const int c_count = k.channels;
  const __m256 lo = _mm256_set1_ps(k.depthwise_min), hi = _mm256_set1_ps(k.depthwise_max);
  for (int c = 0; c < c_count; c += 8) {
    __m256 w[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) w[t] = _mm256_loadu_ps(k.depthwise_weights + t * c_count + c);
    const __m256 bias = _mm256_loadu_ps(k.depthwise_bias + c);
    for (int ox = 0; ox < k.out_width; ++ox) {
      const int x0 = ox * k.depthwise_stride - k.depthwise_pad_left;
      __m256 acc = bias;
      if (x0 >= 0 && x0 + 2 < k.mid_width) {
#pragma GCC unroll 3
        for (int ky = 0; ky < 3; ++ky) {
          if (rows[ky] == nullptr) continue;
          const float* in = rows[ky] + static_cast<size_t>(x0) * c_count + c;
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(in), w[ky * 3], acc);
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(in + c_count), w[ky * 3 + 1], acc);
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(in + 2 * c_count), w[ky * 3 + 2], acc);
        }
      } else {
        for (int ky = 0; ky < 3; ++ky) {
          if (rows[ky] == nullptr) continue;
          for (int kx = 0; kx < 3; ++kx) {
            const int ix = x0 + kx;
            if (ix < 0 || ix >= k.mid_width) continue;
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(rows[ky] + static_cast<size_t>(ix) * c_count + c),
                                  w[ky * 3 + kx], acc);
          }
        }
      }
      _mm256_storeu_ps(out + static_cast<size_t>(ox) * c_count + c,
                       _mm256_min_ps(_mm256_max_ps(acc, lo), hi));
    }
  }
}

// The dense convolution's input patches of pixels [px_begin, px_end) of row `r` of its output,
// one row of K =
// kernel_h * kernel_w * conv_in_channels values per pixel (zeros for padding).
void Im2colRow(const ConvPointwiseDepthwise& k, const float* x, int r, int px_begin, int px_end,
               float* col) {
  const int cin = k.conv_in_channels;
  const int span = k.kernel_w * cin;  // one kernel row of a patch: contiguous in x when inside
  const size_t depth = static_cast<size_t>(k.kernel_h) * span;
  for (int ky = 0; ky < k.kernel_h; ++ky) {
    const int iy = r * k.stride_h - k.pad_top + ky;
    const float* row =
        iy < 0 || iy >= k.in_height ? nullptr : x + static_cast<size_t>(iy) * k.in_width * cin;
    for (int px = px_begin; px < px_end; ++px) {
      float* dst =
          col + static_cast<size_t>(px - px_begin) * depth + static_cast<size_t>(ky) * span;
      const int ix0 = px * k.stride_w - k.pad_left;
      if (row == nullptr) {
        for (int i = 0; i < span; ++i) dst[i] = 0.0f;
      } else if (ix0 >= 0 && ix0 + k.kernel_w <= k.in_width) {
        const float* src = row + static_cast<ptrdiff_t>(ix0) * cin;
        for (int i = 0; i < span; ++i) dst[i] = src[i];  // a few floats: no memcpy call
      } else {
        for (int kx = 0; kx < k.kernel_w; ++kx) {
          const int ix = ix0 + kx;
          for (int c = 0; c < cin; ++c) {
            dst[kx * cin + c] =
                ix < 0 || ix >= k.in_width ? 0.0f : row[static_cast<ptrdiff_t>(ix) * cin + c];
          }
        }
      }
    }
  }
}

bool UsesAvx2(const ConvPointwiseDepthwise& k) {
  return k.conv_channels % 8 == 0 && k.channels % 8 == 0 && avx2::CpuSupported();
}

avx2::GemmArgs ConvGemm(const ConvPointwiseDepthwise& k, const float* col, float* conv_row) {
  avx2::GemmArgs g;
  g.a = col;
  g.lda = static_cast<size_t>(k.kernel_h) * k.kernel_w * k.conv_in_channels;
  g.b = k.conv_weights;
  g.ldb = static_cast<size_t>(k.conv_channels);
  g.depth = static_cast<int>(g.lda);
  g.c = conv_row;
  g.ldc = static_cast<size_t>(k.conv_channels);
  g.bias = k.conv_bias;
  g.lo = k.conv_min;
  g.hi = k.conv_max;
  return g;
}

// Row r of the dense convolution into conv_row ([mid_width][conv_channels]).
void ConvRowPortable(const ConvPointwiseDepthwise& k, const float* x, int r, float* col,
                     float* conv_row) {
  Im2colRow(k, x, r, 0, k.mid_width, col);
  GemmPortable(ConvGemm(k, col, conv_row), k.mid_width, k.conv_channels);
}

// The same without copying patches for the pixels whose kernel rows lie inside the image: there
// a kernel row of every patch is contiguous in x, so x's row itself is the GEMM's left matrix
// (leading dimension stride_w x C_in), one GEMM per kernel row accumulating into conv_row.
FACET_AVX2 void ConvRowAvx2(const ConvPointwiseDepthwise& k, const float* x, int r, float* col,
                            float* conv_row) {
  const int cin = k.conv_in_channels, cout = k.conv_channels;
  const int inside_begin = std::min(k.mid_width, (k.pad_left + k.stride_w - 1) / k.stride_w);
  const int inside_end = std::clamp((k.in_width + k.pad_left - k.kernel_w) / k.stride_w + 1,
                                    inside_begin, k.mid_width);
  for (const auto& [begin, end] :
       {std::pair{0, inside_begin}, std::pair{inside_end, k.mid_width}}) {
    if (begin == end) continue;
    Im2colRow(k, x, r, begin, end, col);
    avx2::Gemm(ConvGemm(k, col, conv_row + static_cast<size_t>(begin) * cout), end - begin, cout);
  }
  if (inside_begin == inside_end) return;
  int first = -1, last = -1;  // kernel rows inside the image
  for (int ky = 0; ky < k.kernel_h; ++ky) {
    const int iy = r * k.stride_h - k.pad_top + ky;
    if (iy < 0 || iy >= k.in_height) continue;
    if (first < 0) first = ky;
    last = ky;
  }
  float* c = conv_row + static_cast<size_t>(inside_begin) * cout;
  if (first < 0) {  // only padding: the bias
    for (int px = inside_begin; px < inside_end; ++px, c += cout) {
      for (int o = 0; o < cout; ++o) c[o] = std::clamp(k.conv_bias[o], k.conv_min, k.conv_max);
    }
    return;
  }
  for (int ky = first; ky <= last; ++ky) {
    const int iy = r * k.stride_h - k.pad_top + ky;
    avx2::GemmArgs g;
    g.a = x + (static_cast<size_t>(iy) * k.in_width +
               static_cast<size_t>(inside_begin * k.stride_w - k.pad_left)) *
                  cin;
    g.lda = static_cast<size_t>(k.stride_w) * cin;
    g.b = k.conv_weights + static_cast<size_t>(ky) * k.kernel_w * cin * cout;
    g.ldb = static_cast<size_t>(cout);
    g.depth = k.kernel_w * cin;
    g.c = c;
    g.ldc = static_cast<size_t>(cout);
    g.bias = ky == first ? k.conv_bias : nullptr;
    g.residual = ky == first ? nullptr : c;
    if (ky == last) {
      g.lo = k.conv_min;
      g.hi = k.conv_max;
    }
    avx2::Gemm(g, inside_end - inside_begin, cout);
  }
}

// Row r of the 1x1 layer's output into `out`: the dense convolution's row, then the 1x1.
void PointwiseRow(const ConvPointwiseDepthwise& k, const float* x, int r, bool avx2, float* col,
                  float* conv_row, float* out) {
  if (avx2) {
    ConvRowAvx2(k, x, r, col, conv_row);
  } else {
    ConvRowPortable(k, x, r, col, conv_row);
  }
  avx2::GemmArgs g;
  g.a = conv_row;
  g.lda = static_cast<size_t>(k.conv_channels);
  g.b = k.pointwise_weights;
  g.ldb = static_cast<size_t>(k.channels);
  g.depth = k.conv_channels;
  g.c = out;
  g.ldc = static_cast<size_t>(k.channels);
  g.bias = k.pointwise_bias;
  g.lo = k.pointwise_min;
  g.hi = k.pointwise_max;
  if (avx2) {
    avx2::Gemm(g, k.mid_width, k.channels);
  } else {
    GemmPortable(g, k.mid_width, k.channels);
  }
}

}  // namespace

std::vector<float> TransposeConvWeights(const std::vector<float>& ohwi, size_t out_channels) {
  const size_t depth = ohwi.size() / out_channels;
  std::vector<float> t(ohwi.size());
  for (size_t o = 0; o < out_channels; ++o) {
    for (size_t i = 0; i < depth; ++i) t[i * out_channels + o] = ohwi[o * depth + i];
  }
  return t;
}

size_t ConvPointwiseDepthwiseScratch(const ConvPointwiseDepthwise& k) {
  const auto w = static_cast<size_t>(k.mid_width);
  const size_t depth = static_cast<size_t>(k.kernel_h) * k.kernel_w * k.conv_in_channels;
  return w * (depth + static_cast<size_t>(k.conv_channels) + 3 * static_cast<size_t>(k.channels));
}

void RunConvPointwiseDepthwise(const ConvPointwiseDepthwise& k, const float* x, float* y,
                               int row_begin, int row_end, float* scratch, bool portable) {
  const bool avx2 = !portable && UsesAvx2(k);
  const auto w = static_cast<size_t>(k.mid_width);
  float* col = scratch;
  float* conv_row = col + w * static_cast<size_t>(k.kernel_h) * k.kernel_w * k.conv_in_channels;
  float* ring = conv_row + w * static_cast<size_t>(k.conv_channels);
  const size_t ring_row = w * static_cast<size_t>(k.channels);
  int ring_holds[3] = {-1, -1, -1};  // which row of the 1x1 layer each ring slot holds
  for (int r = row_begin; r < row_end; ++r) {
    const float* rows[3] = {nullptr, nullptr, nullptr};
    for (int ky = 0; ky < 3; ++ky) {
      const int m = r * k.depthwise_stride - k.depthwise_pad_top + ky;
      if (m < 0 || m >= k.mid_height) continue;
      float* slot = ring + static_cast<size_t>(m % 3) * ring_row;
      if (ring_holds[m % 3] != m) {
        PointwiseRow(k, x, m, avx2, col, conv_row, slot);
        ring_holds[m % 3] = m;
      }
      rows[ky] = slot;
    }
    float* out = y + static_cast<size_t>(r) * k.out_width * k.channels;
    if (avx2) {
      DepthwiseRowAvx2(k, rows, out);
    } else {
      DepthwiseRowPortable(k, rows, out);
    }
  }
}

}  // namespace facet::nn
