#include "nn/fused_kernels.h"

#include <cstring>

#include <immintrin.h>

#include <algorithm>

#include "nn/avx2_gemm.h"

namespace facet::nn {
namespace {

// ---- portable ----------------------------------------------------------------------------------

// One output row: rows[0..2] are input rows y-1, y, y+1 (zero rows at the edges); rows[1] is
// also the residual. scratch: the depthwise row, [width][C].
void ResidualRowPortable(const float* const rows[3], int width, const ResidualBlockWeights& w,
                         float* out_row, float* scratch) {
  const int c_count = w.channels;
  for (int px = 0; px < width; ++px) {
    float* dw = scratch + static_cast<size_t>(px) * c_count;
    for (int c = 0; c < c_count; ++c) dw[c] = w.depthwise_bias[c];
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const int xx = px + kx - 1;
        if (xx < 0 || xx >= width) continue;
        const float* in = rows[ky] + static_cast<size_t>(xx) * c_count;
        const float* k = w.depthwise + (ky * 3 + kx) * c_count;
        for (int c = 0; c < c_count; ++c) dw[c] += in[c] * k[c];
      }
    }
  }
  for (int px = 0; px < width; ++px) {
    const size_t at = static_cast<size_t>(px) * c_count;
    const float* s = scratch + at;
    float* out = out_row + at;
    for (int co = 0; co < c_count; ++co) out[co] = w.pointwise_bias[co] + rows[1][at + co];
    for (int ci = 0; ci < c_count; ++ci) {
      const float v = s[ci];
      const float* k = w.pointwise + static_cast<size_t>(ci) * c_count;
      for (int co = 0; co < c_count; ++co) out[co] += v * k[co];
    }
    for (int co = 0; co < c_count; ++co) out[co] = std::clamp(out[co], w.output_min, w.output_max);
  }
}

// ---- AVX2 + FMA --------------------------------------------------------------------------------

// Depthwise outputs of 8 channels (from c) of pixels [begin, end); kLeft/kRight: the x-1 / x+1
// taps exist for every pixel of the range. The 9 weights stay in registers across the row.
template <bool kLeft, bool kRight>
FACET_AVX2 inline void DepthwiseSpanAvx2(const float* const rows[3], int begin, int end, int c,
                                         int c_count, const __m256 (&k)[9], __m256 bias, float* dw) {
  const float* r0 = rows[0] + c;
  const float* r1 = rows[1] + c;
  const float* r2 = rows[2] + c;
  int px = begin;
  // Interior pixels 4 at a time: 4 independent accumulators (one chain of 9 dependent FMAs per
  // pixel would be latency-bound), each loaded column used by up to 3 neighbouring pixels.
  if (kLeft && kRight) {
    for (; px + 4 <= end; px += 4) {
      const size_t at = static_cast<size_t>(px) * c_count;
      __m256 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
      const float* const src[3] = {r0 + at, r1 + at, r2 + at};
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ++ky) {
        const float* in = src[ky];
        const __m256 c0 = _mm256_loadu_ps(in - c_count), c1 = _mm256_loadu_ps(in);
        const __m256 c2 = _mm256_loadu_ps(in + c_count), c3 = _mm256_loadu_ps(in + 2 * c_count);
        const __m256 c4 = _mm256_loadu_ps(in + 3 * c_count), c5 = _mm256_loadu_ps(in + 4 * c_count);
        const __m256 k0 = k[ky * 3], k1 = k[ky * 3 + 1], k2 = k[ky * 3 + 2];
        a0 = _mm256_fmadd_ps(c0, k0, a0);
        a1 = _mm256_fmadd_ps(c1, k0, a1);
        a2 = _mm256_fmadd_ps(c2, k0, a2);
        a3 = _mm256_fmadd_ps(c3, k0, a3);
        a0 = _mm256_fmadd_ps(c1, k1, a0);
        a1 = _mm256_fmadd_ps(c2, k1, a1);
        a2 = _mm256_fmadd_ps(c3, k1, a2);
        a3 = _mm256_fmadd_ps(c4, k1, a3);
        a0 = _mm256_fmadd_ps(c2, k2, a0);
        a1 = _mm256_fmadd_ps(c3, k2, a1);
        a2 = _mm256_fmadd_ps(c4, k2, a2);
        a3 = _mm256_fmadd_ps(c5, k2, a3);
      }
      float* out = dw + at + c;
      _mm256_storeu_ps(out, a0);
      _mm256_storeu_ps(out + c_count, a1);
      _mm256_storeu_ps(out + 2 * c_count, a2);
      _mm256_storeu_ps(out + 3 * c_count, a3);
    }
  }
  for (; px < end; ++px) {
    const size_t at = static_cast<size_t>(px) * c_count;
    __m256 acc = bias;
    if (kLeft) {
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + at - c_count), k[0], acc);
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + at - c_count), k[3], acc);
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + at - c_count), k[6], acc);
    }
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + at), k[1], acc);
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + at), k[4], acc);
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + at), k[7], acc);
    if (kRight) {
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + at + c_count), k[2], acc);
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + at + c_count), k[5], acc);
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + at + c_count), k[8], acc);
    }
    _mm256_storeu_ps(dw + at + c, acc);
  }
}

// rows: y-1, y, y+1, never null (zero rows at the image edges).
FACET_AVX2 void DepthwiseRowAvx2(const float* const rows[3], int width, const ResidualBlockWeights& w,
                                 float* dw) {
  const int c_count = w.channels;
  for (int c = 0; c < c_count; c += 8) {
    __m256 k[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) k[t] = _mm256_loadu_ps(w.depthwise + t * c_count + c);
    const __m256 bias = _mm256_loadu_ps(w.depthwise_bias + c);
    if (width == 1) {
      DepthwiseSpanAvx2<false, false>(rows, 0, 1, c, c_count, k, bias, dw);
      continue;
    }
    DepthwiseSpanAvx2<false, true>(rows, 0, 1, c, c_count, k, bias, dw);
    DepthwiseSpanAvx2<true, true>(rows, 1, width - 1, c, c_count, k, bias, dw);
    DepthwiseSpanAvx2<true, false>(rows, width - 1, width, c, c_count, k, bias, dw);
  }
}

FACET_AVX2 void ResidualRowAvx2(const float* const rows[3], int width, const ResidualBlockWeights& w,
                                float* out, float* scratch) {
  DepthwiseRowAvx2(rows, width, w, scratch);
  avx2::GemmArgs g;
  g.a = scratch;
  g.lda = static_cast<size_t>(w.channels);
  g.b = w.pointwise;
  g.ldb = static_cast<size_t>(w.channels);
  g.depth = w.channels;
  g.c = out;
  g.ldc = static_cast<size_t>(w.channels);
  g.bias = w.pointwise_bias;
  g.residual = rows[1];
  g.lo = w.output_min;
  g.hi = w.output_max;
  avx2::Gemm(g, width, w.channels);
}

void ResidualRow(const float* const rows[3], int width, const ResidualBlockWeights& w, float* out,
                 float* scratch, bool portable) {
  if (!portable && w.channels % 8 == 0 && avx2::CpuSupported()) {
    ResidualRowAvx2(rows, width, w, out, scratch);
  } else {
    ResidualRowPortable(rows, width, w, out, scratch);
  }
}

}  // namespace

size_t ResidualChainScratch(int width, int channels, int blocks) {
  // A depthwise row, a zero row (padding), and a ring of 3 rows per intermediate image.
  const size_t row = static_cast<size_t>(width) * static_cast<size_t>(channels);
  return row * (2 + 3 * static_cast<size_t>(std::max(0, blocks - 1)));
}

void ResidualChain(const float* x, int height, int width, const ResidualBlockWeights* blocks,
                   int block_count, float* y, float* scratch, bool portable) {
  const size_t row = static_cast<size_t>(width) * static_cast<size_t>(blocks[0].channels);
  float* dw = scratch;
  float* zeros = scratch + row;
  std::fill(zeros, zeros + row, 0.0f);
  float* rings = scratch + 2 * row;  // ring k (k = 0 .. block_count - 2): block k's output rows
  auto ring_row = [&](int level, int r) { return rings + (static_cast<size_t>(level) * 3 + r % 3) * row; };
  // Level k's row r: block k's output; level -1 is x, level block_count - 1 is y.
  auto level_row = [&](int level, int r) -> const float* {
    if (r < 0 || r >= height) return zeros;
    if (level < 0) return x + static_cast<size_t>(r) * row;
    return ring_row(level, r);
  };
  // Wavefront: at step t, block k computes its row t - k, whose inputs (rows t-k-1 .. t-k+1 of
  // level k-1) were all computed by step t (block k-1 did row t-k+1 just before).
  for (int t = 0; t < height + block_count; ++t) {
    for (int k = 0; k < block_count; ++k) {
      const int r = t - k;
      if (r < 0 || r >= height) continue;
      const float* rows[3] = {level_row(k - 1, r - 1), level_row(k - 1, r), level_row(k - 1, r + 1)};
      float* out = k + 1 == block_count ? y + static_cast<size_t>(r) * row : ring_row(k, r);
      ResidualRow(rows, width, blocks[k], out, dw, portable);
    }
  }
}


void UpsampleNearest2x(const float* x, int height, int width, int channels, float* y) {
  const auto c = static_cast<size_t>(channels);
  const size_t out_row = 2 * static_cast<size_t>(width) * c;
  for (int row = 0; row < height; ++row) {
    const float* in = x + static_cast<size_t>(row) * static_cast<size_t>(width) * c;
    float* out = y + 2 * static_cast<size_t>(row) * out_row;
    for (int col = 0; col < width; ++col) {
      std::memcpy(out + 2 * static_cast<size_t>(col) * c, in + static_cast<size_t>(col) * c,
                  c * sizeof(float));
      std::memcpy(out + (2 * static_cast<size_t>(col) + 1) * c, in + static_cast<size_t>(col) * c,
                  c * sizeof(float));
    }
    std::memcpy(out + out_row, out, out_row * sizeof(float));
  }
}

}  // namespace facet::nn
