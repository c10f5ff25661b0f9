#include "index/vector_index.h"

namespace facet::index {

// Defined beside each kind.
Result<std::unique_ptr<VectorIndex>> DeserializeExactIndex(IndexKind kind, int dimensions,
                                                           std::span<const uint8_t> bytes);
Result<std::unique_ptr<VectorIndex>> DeserializeHnswIndex(int dimensions,
                                                          std::span<const uint8_t> bytes,
                                                          const HnswOptions& options);

Result<std::unique_ptr<VectorIndex>> DeserializeIndex(IndexKind kind, int dimensions,
                                                      std::span<const uint8_t> bytes,
                                                      const HnswOptions& options) {
  if (dimensions <= 0 || dimensions > 4096) return Status::CorruptData("bad index dimensions");
  switch (kind) {
    case IndexKind::kExactF32:
    case IndexKind::kExactInt8:
      return DeserializeExactIndex(kind, dimensions, bytes);
    case IndexKind::kHnsw:
      return DeserializeHnswIndex(dimensions, bytes, options);
  }
  return Status::CorruptData("unknown index kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace facet::index
