// Internal to the HNSW index (hnsw_index.cc): reading FAISS data from borrowed bytes, the int8
// direction codes the graph walk compares, and the check that a graph read back is sound.
//
// Thread-safety: pure functions; a SpanReader is used by one thread.
#ifndef FACET_SRC_INDEX_HNSW_GRAPH_H_
#define FACET_SRC_INDEX_HNSW_GRAPH_H_

#include <faiss/IndexHNSW.h>
#include <faiss/impl/io.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace facet::index {

// An IOReader over borrowed bytes (faiss's VectorIOReader would copy them).
struct SpanReader : faiss::IOReader {
  explicit SpanReader(std::span<const uint8_t> bytes) : data(bytes) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override;
  std::span<const uint8_t> data;  // borrowed: must outlive the reader
  size_t position = 0;
};

// The graph walk compares int8 codes of each vector's direction, all on one fixed step: codes =
// round(v / |v| / WalkStep(dim)), clipped to +-127. One step for every row means no per-row
// factor, so a 192-D row is exactly three cache lines (see Row8Bytes). The step puts the clip at
// 0.5 for 192-D and scales it with the typical component of a unit vector, 1/sqrt(dim): for
// MobileFaceNet's 192-D templates the largest component is 0.22-0.55 (LFW: 0.1 % of templates
// have one above 0.51, which is clipped). The walk only orders candidates: the best are re-ranked
// with the float32 vectors, so the similarities returned are exact.
float WalkStep(int dim);

// codes[0..dim) = the direction of values[0..dim) on WalkStep(dim); all 0 for a zero or
// non-finite vector.
void QuantizeDirection(const float* values, int dim, int8_t* codes);

// The graph read back holds what the walk relies on: one level entry per vector, link ranges
// inside the link array, links to vectors that exist, an entry point that does.
bool GraphIsSound(const faiss::IndexHNSWFlat& index);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_HNSW_GRAPH_H_
