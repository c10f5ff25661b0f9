#include "index/hnsw_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace facet::index {

size_t SpanReader::operator()(void* ptr, size_t size, size_t nitems) {
  if (size == 0) return 0;
  const size_t available = (data.size() - position) / size;
  const size_t n = std::min(nitems, available);
  std::memcpy(ptr, data.data() + position, n * size);
  position += n * size;
  return n;
}

float WalkStep(int dim) { return 0.5f * std::sqrt(192.0f / static_cast<float>(dim)) / 127; }

void QuantizeDirection(const float* values, int dim, int8_t* codes) {
  double norm = 0;
  for (int j = 0; j < dim; ++j) norm += static_cast<double>(values[j]) * values[j];
  if (!(norm > 0) || !std::isfinite(norm)) {  // zero (a removed node) or not a number
    std::fill_n(codes, dim, int8_t{0});
    return;
  }
  const float factor = static_cast<float>(1 / std::sqrt(norm)) / WalkStep(dim);
  for (int j = 0; j < dim; ++j) {
    codes[j] = static_cast<int8_t>(std::clamp(std::lround(values[j] * factor), -127L, 127L));
  }
}

bool GraphIsSound(const faiss::IndexHNSWFlat& index) {
  const faiss::HNSW& hnsw = index.hnsw;
  const auto total = static_cast<size_t>(index.ntotal);
  if (hnsw.levels.size() != total || hnsw.offsets.size() != total + 1 ||
      hnsw.offsets.back() != hnsw.neighbors.size() || index.storage->ntotal != index.ntotal ||
      hnsw.cum_nneighbor_per_level.empty()) {
    return false;
  }
  if (total == 0) return hnsw.entry_point == -1;
  if (hnsw.entry_point < 0 || static_cast<size_t>(hnsw.entry_point) >= total ||
      hnsw.max_level != hnsw.levels[static_cast<size_t>(hnsw.entry_point)] - 1) {
    return false;
  }
  const auto levels = static_cast<int>(hnsw.cum_nneighbor_per_level.size()) - 1;
  for (size_t i = 0; i < total; ++i) {
    const int level = hnsw.levels[i];
    if (level < 1 || level > levels || hnsw.max_level < level - 1 ||
        hnsw.offsets[i + 1] - hnsw.offsets[i] !=
            static_cast<size_t>(hnsw.cum_nneighbor_per_level[static_cast<size_t>(level)])) {
      return false;
    }
  }
  return std::all_of(hnsw.neighbors.begin(), hnsw.neighbors.end(), [total](int v) {
    return v >= -1 && (v < 0 || static_cast<size_t>(v) < total);
  });
}

}  // namespace facet::index
