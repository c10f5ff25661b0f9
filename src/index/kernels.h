// Similarity kernels for the exact index: float32 and int8 dot products over many rows, with an
// AVX2 implementation chosen at run time when the CPU has AVX2 and FMA, and a portable scalar one.
//
// Thread-safety: pure functions.
#ifndef FACET_SRC_INDEX_KERNELS_H_
#define FACET_SRC_INDEX_KERNELS_H_

#include <cstddef>
#include <cstdint>

namespace facet::index {

enum class KernelIsa { kScalar, kAvx2 };

// What this CPU runs (AVX2 needs AVX2 + FMA).
KernelIsa DetectKernelIsa();
const char* KernelIsaName(KernelIsa isa);

// out[i] = dot(query, rows + i * dim) for i < count; rows are packed.
void DotF32(KernelIsa isa, const float* query, const float* rows, size_t count, int dim,
            float* out);

// out[i] = dot(query, rows + i * dim) in int32. Codes must lie in [-127, 127].
void DotI8(KernelIsa isa, const int8_t* query, const int8_t* rows, size_t count, int dim,
           int32_t* out);

// Symmetric per-vector int8 quantisation: codes = round(v * 127 / max|v|); returns
// max|v| / 127 (the factor turning codes back into values), 0 for an all-zero vector.
float QuantizeI8(const float* values, int dim, int8_t* codes);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_KERNELS_H_
