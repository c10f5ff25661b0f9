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

// 4-bit codes of 32 vectors over `subspaces` subspaces (product quantisation, 16 centroids per
// subspace), laid out for a table-lookup scan: for each subspace m, 16 bytes at group + 16 * m;
// byte b holds vector b's code in its low nibble and vector b + 16's in its high nibble.
inline constexpr int kNibbleGroup = 32;
inline constexpr int kMaxNibbleSubspaces = 256;  // 256 * 255 fits the uint16 sums

// Writes code(i, m) = codes[i * subspaces + m] (each < 16) of `count` <= 32 vectors into `group`
// (16 * subspaces bytes); vectors count..31 get code 0.
void PackNibbleGroup(const uint8_t* codes, int count, int subspaces, uint8_t* group);

// sums[i] = sum over m of lut[16 * m + code(i, m)] for the 32 vectors of a packed group.
// subspaces <= kMaxNibbleSubspaces.
void ScanNibbleGroup(KernelIsa isa, const uint8_t* lut, const uint8_t* group, int subspaces,
                     uint16_t* sums);

// Symmetric per-vector int8 quantisation: codes = round(v * 127 / max|v|); returns
// max|v| / 127 (the factor turning codes back into values), 0 for an all-zero vector.
float QuantizeI8(const float* values, int dim, int8_t* codes);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_KERNELS_H_
