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

void ScanNibbleGroupScalar(const uint8_t* lut, const uint8_t* group, int subspaces,
                           uint16_t* sums) {
  for (int i = 0; i < kNibbleGroup; ++i) {
    const int byte = i % 16;
    const int shift = i < 16 ? 0 : 4;
    int sum = 0;
    for (int m = 0; m < subspaces; ++m) sum += lut[16 * m + ((group[16 * m + byte] >> shift) & 15)];
    sums[i] = static_cast<uint16_t>(sum);
  }
}

#ifdef FACET_HAVE_X86
// One pshufb looks up 32 codes of a subspace at once (the low nibbles of the 16 bytes in the
// lower lane, the high nibbles in the upper); the byte results are summed in uint16 lanes, even
// and odd bytes apart, then put back in vector order.
__attribute__((target("avx2,fma"))) void ScanNibbleGroupAvx2(const uint8_t* lut,
                                                             const uint8_t* group, int subspaces,
                                                             uint16_t* sums) {
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const __m256i low_bytes = _mm256_set1_epi16(0x00ff);
  __m256i even = _mm256_setzero_si256();
  __m256i odd = _mm256_setzero_si256();
  for (int m = 0; m < subspaces; ++m) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(group + 16 * m));
    const __m256i codes =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_nibbles);
    const __m256i table = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(lut + 16 * m)));
    const __m256i values = _mm256_shuffle_epi8(table, codes);
    even = _mm256_add_epi16(even, _mm256_and_si256(values, low_bytes));
    odd = _mm256_add_epi16(odd, _mm256_srli_epi16(values, 8));
  }
  alignas(32) uint16_t even_sums[16];
  alignas(32) uint16_t odd_sums[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(even_sums), even);
  _mm256_store_si256(reinterpret_cast<__m256i*>(odd_sums), odd);
  // Lane k of `even` holds byte 2k of its 128-bit half: vector 2k (lower) or 16 + 2(k - 8).
  for (int k = 0; k < 16; ++k) {
    const int base = k < 8 ? 2 * k : 16 + 2 * (k - 8);
    sums[base] = even_sums[k];
    sums[base + 1] = odd_sums[k];
  }
}

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

void PackNibbleGroup(const uint8_t* codes, int count, int subspaces, uint8_t* group) {
  std::fill_n(group, static_cast<size_t>(16) * subspaces, uint8_t{0});
  for (int i = 0; i < std::min(count, kNibbleGroup); ++i) {
    const int shift = i < 16 ? 0 : 4;
    for (int m = 0; m < subspaces; ++m) {
      group[16 * m + i % 16] |= static_cast<uint8_t>((codes[i * subspaces + m] & 15) << shift);
    }
  }
}

void ScanNibbleGroup(KernelIsa isa, const uint8_t* lut, const uint8_t* group, int subspaces,
                     uint16_t* sums) {
#ifdef FACET_HAVE_X86
  if (isa == KernelIsa::kAvx2) return ScanNibbleGroupAvx2(lut, group, subspaces, sums);
#endif
  ScanNibbleGroupScalar(lut, group, subspaces, sums);
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
