#include "index/kernels.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#define FACET_HAVE_X86 1
#endif

namespace facet::index {
namespace {

void DotF32Scalar(const float* query, const float* rows, size_t count, int dim, float* out) {
  for (size_t i = 0; i < count; ++i) {
    const float* row = rows + i * dim;
    float sum = 0;
    for (int j = 0; j < dim; ++j) sum += query[j] * row[j];
    out[i] = sum;
  }
}

void DotI8Scalar(const int8_t* query, const int8_t* rows, size_t count, int dim, int32_t* out) {
  for (size_t i = 0; i < count; ++i) {
    const int8_t* row = rows + i * dim;
    int32_t sum = 0;
    for (int j = 0; j < dim; ++j) sum += int32_t{query[j]} * int32_t{row[j]};
    out[i] = sum;
  }
}

#ifdef FACET_HAVE_X86
__attribute__((target("avx2,fma"))) float HorizontalSum(__m256 v) {
  const __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 sum2 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  return _mm_cvtss_f32(_mm_add_ss(sum2, _mm_shuffle_ps(sum2, sum2, 1)));
}

__attribute__((target("avx2,fma"))) int32_t HorizontalSum(__m256i v) {
  const __m128i sum4 = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i sum2 = _mm_add_epi32(sum4, _mm_unpackhi_epi64(sum4, sum4));
  return _mm_cvtsi128_si32(_mm_add_epi32(sum2, _mm_shuffle_epi32(sum2, 1)));
}

__attribute__((target("avx2,fma"))) void DotF32Avx2(const float* query, const float* rows,
                                                    size_t count, int dim, float* out) {
  const int vec_end = dim - dim % 16;
  for (size_t i = 0; i < count; ++i) {
    const float* row = rows + i * dim;
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    int j = 0;
    for (; j < vec_end; j += 16) {
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + j), _mm256_loadu_ps(row + j), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + j + 8), _mm256_loadu_ps(row + j + 8), acc1);
    }
    float sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
    for (; j < dim; ++j) sum += query[j] * row[j];
    out[i] = sum;
  }
}

// dot(q, r) for int8 q, r in [-127, 127]: maddubs(|q|, sign(r, q)) multiplies unsigned |q| by r
// carrying q's sign; pairs sum to at most 2 * 127 * 127 < 32767, so the int16 step never
// saturates. madd with ones widens to int32.
__attribute__((target("avx2,fma"))) void DotI8Avx2(const int8_t* query, const int8_t* rows,
                                                   size_t count, int dim, int32_t* out) {
  const int vec_end = dim - dim % 32;
  const __m256i ones = _mm256_set1_epi16(1);
  // |q| and q's sign are the same for every row: hoist them (up to 16 registers' worth).
  constexpr int kMaxBlocks = 16;
  const int blocks = std::min(vec_end / 32, kMaxBlocks);
  __m256i abs_q[kMaxBlocks];
  __m256i q[kMaxBlocks];
  for (int b = 0; b < blocks; ++b) {
    q[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + 32 * b));
    abs_q[b] = _mm256_abs_epi8(q[b]);
  }
  for (size_t i = 0; i < count; ++i) {
    const int8_t* row = rows + i * dim;
    __m256i acc = _mm256_setzero_si256();
    int j = 0;
    for (int b = 0; b < blocks; ++b, j += 32) {
      const __m256i r = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + j));
      const __m256i products = _mm256_maddubs_epi16(abs_q[b], _mm256_sign_epi8(r, q[b]));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(products, ones));
    }
    for (; j < vec_end; j += 32) {
      const __m256i qj = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + j));
      const __m256i r = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + j));
      const __m256i products = _mm256_maddubs_epi16(_mm256_abs_epi8(qj), _mm256_sign_epi8(r, qj));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(products, ones));
    }
    int32_t sum = HorizontalSum(acc);
    for (; j < dim; ++j) sum += int32_t{query[j]} * int32_t{row[j]};
    out[i] = sum;
  }
}
#endif

}  // namespace

KernelIsa DetectKernelIsa() {
#ifdef FACET_HAVE_X86
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KernelIsa::kAvx2;
#endif
  return KernelIsa::kScalar;
}

const char* KernelIsaName(KernelIsa isa) { return isa == KernelIsa::kAvx2 ? "avx2" : "scalar"; }

void DotF32(KernelIsa isa, const float* query, const float* rows, size_t count, int dim,
            float* out) {
#ifdef FACET_HAVE_X86
  if (isa == KernelIsa::kAvx2) return DotF32Avx2(query, rows, count, dim, out);
#endif
  DotF32Scalar(query, rows, count, dim, out);
}

void DotI8(KernelIsa isa, const int8_t* query, const int8_t* rows, size_t count, int dim,
           int32_t* out) {
#ifdef FACET_HAVE_X86
  if (isa == KernelIsa::kAvx2) return DotI8Avx2(query, rows, count, dim, out);
#endif
  DotI8Scalar(query, rows, count, dim, out);
}

float QuantizeI8(const float* values, int dim, int8_t* codes) {
  float max_abs = 0;
  for (int j = 0; j < dim; ++j) max_abs = std::max(max_abs, std::fabs(values[j]));
  if (!(max_abs > 0) || !std::isfinite(max_abs)) {
    std::fill(codes, codes + dim, int8_t{0});
    return 0;
  }
  const float scale = 127.0f / max_abs;
  for (int j = 0; j < dim; ++j) {
    const float q = std::nearbyint(values[j] * scale);
    codes[j] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
  }
  return max_abs / 127.0f;
}

}  // namespace facet::index
