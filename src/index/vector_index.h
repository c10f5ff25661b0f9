// Nearest-neighbour search over L2-normalised templates by inner product (= cosine similarity).
//
// Three kinds behind one interface: exact brute force in float32 (the oracle) or int8 (per-vector
// scale, 4x less memory and bandwidth), and FAISS HNSW for large galleries. Each vector has a
// caller-chosen int64 id. Remove erases the vector's data from memory, not only its id.
//
// Thread-safety: const methods (Search, Serialize, size...) may run concurrently with each other;
// Add and Remove need exclusive access (the gallery layer holds a shared_mutex).
#ifndef FACET_SRC_INDEX_VECTOR_INDEX_H_
#define FACET_SRC_INDEX_VECTOR_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "facet/status.h"

namespace facet::index {

enum class IndexKind { kExactF32 = 1, kExactInt8 = 2, kHnsw = 3 };

const char* IndexKindName(IndexKind kind);

struct SearchHit {
  int64_t id = 0;
  float similarity = 0;
};

struct HnswOptions {
  int m = 32;                 // graph degree (FAISS M)
  int ef_construction = 40;   // FAISS default
  // Candidates kept by the walk. With neighbour codes (below) the walk's scores are coarse and it
  // needs a larger ef than with int8 rows for the same agreement with exact search; all of them
  // are re-ranked exactly. Default 512 (docs/benchmarks.md: at 1M 192-D templates, M 32 and
  // efConstruction 40, ~0.65 ms and 99.5 % agreement on the mate's rank).
  int ef_search = 512;
  // From this many vectors (at least 1,024) the walk scores neighbours with 4-bit codes kept
  // beside each node's links (neighbor_codes.h; ~1.3 KB more per vector at 192-D, M 32); below
  // it, with int8 rows of each vector. Default 1,024; INT64_MAX: never.
  int64_t neighbor_codes_min_size = 1'024;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual IndexKind kind() const = 0;
  virtual int dimensions() const = 0;
  // Live vectors (removed ones not counted).
  virtual size_t size() const = 0;
  virtual bool Contains(int64_t id) const = 0;
  // Bytes held for the vectors and their ids (approximate for HNSW).
  virtual size_t MemoryBytes() const = 0;

  // Adds `ids.size()` vectors packed in `vectors` (ids.size() * dimensions() floats). An id
  // already present is kInvalidArgument and nothing is added.
  virtual Status Add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes the ids present (absent ids are ignored) and overwrites their vector data.
  virtual void Remove(std::span<const int64_t> ids) = 0;

  // The `k` most similar vectors, most similar first (fewer if the index holds fewer).
  virtual void Search(std::span<const float> query, int k, std::vector<SearchHit>* hits) const = 0;
  // HNSW: candidates explored per query from now on (FAISS 1.7.3 sizes its search queue from the
  // index's efSearch, not from per-call parameters). Exact indexes ignore it. Needs exclusive
  // access, like Add.
  virtual void SetEfSearch(int ef_search) = 0;

  // Self-contained binary form (read back by DeserializeIndex).
  virtual Status Serialize(std::vector<uint8_t>* out) const = 0;
  // HNSW only: the graph without a single vector or code of one (ids, links, levels, removed
  // nodes, the neighbour codes' codebook), read back by RestoreHnswGraph with the vectors taken
  // from elsewhere (a node's snapshot: docs/cluster.md). kFailedPrecondition for exact indexes.
  virtual Status SerializeGraph(std::vector<uint8_t>* out) const {
    (void)out;
    return Status::FailedPrecondition("only an HNSW index has a graph to keep");
  }
  // HNSW only: the bytes SerializeGraph would append now (0 for exact indexes). A caller that
  // copies the graph under a lock sizes and touches its buffer first: at 1 M templates the copy
  // into a fresh buffer is ~12x slower than into one whose pages are already there
  // (docs/benchmarks.md, "Time to ready at a large gallery").
  virtual size_t SerializedGraphBytes() const { return 0; }
  // HNSW only: nodes of removed vectors still in the graph (HNSW cannot delete a node; exact
  // indexes free removed rows, so 0).
  virtual size_t removed_count() const { return 0; }
  // HNSW only: appends every live vector's id to `ids` and its values to `vectors`, in the
  // graph's order, so that a graph without the removed nodes can be built from them.
  // kFailedPrecondition for exact indexes.
  virtual Status CopyLive(std::vector<int64_t>* ids, std::vector<float>* vectors) const {
    (void)ids;
    (void)vectors;
    return Status::FailedPrecondition("only an HNSW index keeps removed nodes");
  }
};

// Hands RestoreHnswGraph the vectors: `put(id, vector)` stores the vector of a node of the graph
// and returns false for an id the graph does not hold (or holds as removed).
using PutVectorFn = std::function<bool(int64_t id, std::span<const float> vector)>;
using FillVectorsFn = std::function<Status(const PutVectorFn& put)>;

// Reads what SerializeGraph wrote; `fill` is called once and puts the vectors it has. A node of
// the graph that gets none is removed (its id is not in the index afterwards; counted in
// `removed` when not null). kCorruptData on
// malformed bytes or a graph of other options (M); fill's error as it is.
Result<std::unique_ptr<VectorIndex>> RestoreHnswGraph(int dimensions,
                                                      std::span<const uint8_t> bytes,
                                                      const HnswOptions& options,
                                                      const FillVectorsFn& fill,
                                                      int64_t* removed = nullptr);

std::unique_ptr<VectorIndex> NewExactIndex(int dimensions, IndexKind kind /*kExactF32|kExactInt8*/);
Result<std::unique_ptr<VectorIndex>> NewHnswIndex(int dimensions, const HnswOptions& options);

// Reads what Serialize wrote. kCorruptData on malformed bytes.
Result<std::unique_ptr<VectorIndex>> DeserializeIndex(IndexKind kind, int dimensions,
                                                      std::span<const uint8_t> bytes,
                                                      const HnswOptions& options);

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_VECTOR_INDEX_H_
