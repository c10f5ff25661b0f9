// A small AVX2+FMA GEMM micro-kernel shared by facet's fused kernels (internal to src/nn).
//
//   C[p][n] = clamp(init[p][n] + sum_k A[p][k] * B[k][n], lo, hi)   for p < rows, n < cols
//
// with init = bias[n] (+ residual[p][n]) or 0. cols must be a multiple of 8. Row-major with leading
// dimensions. Register blocking: kPixels rows x kGroups x 8 columns of accumulators, kept in the
// 16 ymm registers by full unrolling (GCC keeps loop arrays in memory at -O2 otherwise).
#ifndef FACET_SRC_NN_AVX2_GEMM_H_
#define FACET_SRC_NN_AVX2_GEMM_H_

#include <immintrin.h>

#include <cstddef>

#define FACET_AVX2 __attribute__((target("avx2,fma")))

namespace facet::nn::avx2 {

// Whether this CPU runs AVX2 and FMA (the kernels' fallbacks are portable C++). Thread-safe.
inline bool CpuSupported() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}

struct GemmArgs {
  const float* a = nullptr;
  size_t lda = 0;
  const float* b = nullptr;
  size_t ldb = 0;
  int depth = 0;                     // K
  float* c = nullptr;
  size_t ldc = 0;
  const float* bias = nullptr;       // [cols] or null (0)
  const float* residual = nullptr;   // [rows][ldc] added to the result, or null
  float lo = -__builtin_inff(), hi = __builtin_inff();
};

template <int kPixels, int kGroups>
FACET_AVX2 inline void GemmTile(const GemmArgs& g, int p0, int n0) {
  __m256 acc[kPixels][kGroups];
#pragma GCC unroll 8
  for (int j = 0; j < kGroups; ++j) {
    const __m256 bias = g.bias != nullptr ? _mm256_loadu_ps(g.bias + n0 + 8 * j) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int p = 0; p < kPixels; ++p) {
      acc[p][j] = g.residual != nullptr
                      ? _mm256_add_ps(bias, _mm256_loadu_ps(g.residual + (p0 + p) * g.ldc + n0 + 8 * j))
                      : bias;
    }
  }
  const float* a = g.a + static_cast<size_t>(p0) * g.lda;
  const float* b = g.b + n0;
  for (int k = 0; k < g.depth; ++k, b += g.ldb) {
    __m256 w[kGroups];
#pragma GCC unroll 8
    for (int j = 0; j < kGroups; ++j) w[j] = _mm256_loadu_ps(b + 8 * j);
#pragma GCC unroll 8
    for (int p = 0; p < kPixels; ++p) {
      const __m256 v = _mm256_broadcast_ss(a + p * g.lda + k);
#pragma GCC unroll 8
      for (int j = 0; j < kGroups; ++j) acc[p][j] = _mm256_fmadd_ps(v, w[j], acc[p][j]);
    }
  }
  const __m256 lo = _mm256_set1_ps(g.lo), hi = _mm256_set1_ps(g.hi);
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) {
#pragma GCC unroll 8
    for (int j = 0; j < kGroups; ++j) {
      _mm256_storeu_ps(g.c + (p0 + p) * g.ldc + n0 + 8 * j, _mm256_min_ps(_mm256_max_ps(acc[p][j], lo), hi));
    }
  }
}

template <int kGroups>
FACET_AVX2 inline void GemmWith(const GemmArgs& g, int rows, int cols) {
  // Accumulators + weights + 1 broadcast within AVX2's 16 registers.
  constexpr int kPixels = kGroups == 3 ? 4 : kGroups == 2 ? 6 : 8;
  int p = 0;
  for (; p + kPixels <= rows; p += kPixels) {
    for (int n = 0; n < cols; n += 8 * kGroups) GemmTile<kPixels, kGroups>(g, p, n);
  }
  for (; p < rows; ++p) {
    for (int n = 0; n < cols; n += 8 * kGroups) GemmTile<1, kGroups>(g, p, n);
  }
}

FACET_AVX2 inline void Gemm(const GemmArgs& g, int rows, int cols) {
  if (cols % 24 == 0) {
    GemmWith<3>(g, rows, cols);
  } else if (cols % 16 == 0) {
    GemmWith<2>(g, rows, cols);
  } else {
    GemmWith<1>(g, rows, cols);
  }
}

}  // namespace facet::nn::avx2

#endif  // FACET_SRC_NN_AVX2_GEMM_H_
