// The HNSW index's class, shared by its two source files: hnsw_index.cc (adding, removing and
// searching: the graph walk and its codes) and hnsw_index_io.cc (Serialize / Restore, and the
// node snapshot's graph without vectors, SerializeGraph / RestoreGraph). Internal to
// facet_index: callers use NewHnswIndex, DeserializeHnswIndex and RestoreHnswGraph
// (vector_index.h).
//
// FAISS HNSW (flat storage, inner product) behind VectorIndex, for large galleries.
//
// FAISS numbers vectors 0..n-1 in insertion order; `labels_` maps them to facet's ids. HNSW
// cannot delete nodes: Remove overwrites the vector with zeros (the data is gone; so is its
// neighbour code) and marks the node dead; searches skip dead nodes. Searching walks FAISS's graph
// with facet's own code, one query on the calling thread: IndexHNSW::search would open an OpenMP
// team per call and update a global statistics struct without synchronisation.
//
// The graph is built with facet's float32 kernels (hnsw_build.h). The walk scores neighbours
// with 4-bit codes kept beside each node's links (neighbor_codes.h) once the index holds
// HnswOptions::neighbor_codes_min_size vectors (1,024 by default), and with int8 codes of the
// vectors' directions below that (QuantizeDirection: three cache lines a row at 192-D, on
// transparent huge pages; the upper levels are always descended with these). The candidates are
// re-ranked with the float32 vectors, so the similarities returned are exact.
//
// Thread-safety: as VectorIndex (vector_index.h).
#ifndef FACET_SRC_INDEX_HNSW_INDEX_INTERNAL_H_
#define FACET_SRC_INDEX_HNSW_INDEX_INTERNAL_H_

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "index/bytes.h"
#include "index/huge_pages.h"
#include "index/kernels.h"
#include "index/neighbor_codes.h"
#include "index/vector_index.h"

namespace facet::index {

class HnswIndex final : public VectorIndex {
 public:
  using FaissId = faiss::Index::idx_t;

  HnswIndex(std::unique_ptr<faiss::IndexHNSWFlat> index, const HnswOptions& options)
      : index_(std::move(index)), options_(options) {}

  IndexKind kind() const override { return IndexKind::kHnsw; }
  int dimensions() const override { return index_->d; }
  size_t size() const override { return slots_.size(); }
  bool Contains(int64_t id) const override { return slots_.count(id) > 0; }
  size_t MemoryBytes() const override {
    return Storage()->codes.size() + rows8_.size() +
           index_->hnsw.neighbors.size() * sizeof(int32_t) +
           index_->hnsw.levels.size() * sizeof(int) + index_->hnsw.offsets.size() * sizeof(size_t) +
           labels_.size() * sizeof(int64_t) + neighbor_codes_.MemoryBytes() +
           slots_.size() * (sizeof(int64_t) + sizeof(FaissId) + 2 * sizeof(void*));
  }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;

  void Remove(std::span<const int64_t> ids) override;

  void SetEfSearch(int ef_search) override {
    options_.ef_search = std::max(1, ef_search);
    index_->hnsw.efSearch = options_.ef_search;
  }

  void Search(std::span<const float> query, int k, std::vector<SearchHit>* hits) const override;

  // u64 FAISS bytes | FAISS's own index file | u64 labels | i64 labels[..] | u64 removed |
  // i64 removed nodes[..] | the neighbour codebook.
  Status Serialize(std::vector<uint8_t>* out) const override;

  // "facet.hnsw-graph.v1" | u64 nodes | i32 levels[nodes] | u64 offsets[nodes + 1] |
  // u64 links | i32 neighbors[links] | i32 entry point | i32 max level | u64 level sizes |
  // i32 cum_nneighbor_per_level[..] | i64 labels[nodes] | u64 removed | i64 removed nodes[..] |
  // neighbour codebook. No vector and no code of one.
  Status SerializeGraph(std::vector<uint8_t>* out) const override;
  size_t SerializedGraphBytes() const override;
  size_t removed_count() const override { return dead_.size(); }
  Status CopyLive(std::vector<int64_t>* ids, std::vector<float>* vectors) const override;

  // Reads what SerializeGraph wrote into this new, empty index, the vectors from `fill`
  // (RestoreHnswGraph); `removed` counts the graph's nodes `fill` gave no vector.
  Status RestoreGraph(std::span<const uint8_t> bytes, const FillVectorsFn& fill, int64_t* removed);

  // Reads what Serialize wrote into this new, empty index (DeserializeHnswIndex).
  Status Restore(std::span<const uint8_t> bytes);

 private:
  // Marks `dead` removed and maps every live node's id (labels_) to its slot; refuses a removed
  // node beyond `nodes` or an id used twice. `what` names the data in the error.
  Status AdoptRemovedAndIds(const std::vector<FaissId>& dead, uint64_t nodes, const char* what);

  // The tail both formats share: u64 removed | i64 removed nodes[..] (ascending) | the neighbour
  // codebook (NeighborCodes::Serialize: centroids, not codes).
  void PutRemovedAndCodes(ByteWriter* w) const;

  const float* Vector(int node) const {
    return reinterpret_cast<const float*>(Storage()->codes.data()) +
           static_cast<size_t>(node) * index_->d;
  }

  // Approximate cosine similarity of the query's walk codes with node's, over WalkStep^2
  // (a constant: only the order matters during the walk).
  int32_t Similarity8(const int8_t* query, int node) const {
    int32_t dot = 0;
    DotI8(isa_, query, Row8(node), 1, index_->d, &dot);
    return dot;
  }

  void Quantize(FaissId first, FaissId count);

  // Greedy descent through the upper levels (Malkov & Yashunin, algorithm 2 with ef 1) with the
  // int8 walk codes: the level-0 node to start from.
  int Descend(const int8_t* query) const;

  using Entry = std::pair<int32_t, int>;  // (distance: a negated score, node)

  // Best-first search of level 0 from `entry` keeping `ef` results (Malkov & Yashunin, algorithm
  // 2). `expand(node, offer)` scores node's links not yet visited (marking them) and calls
  // offer(distance, link) for each; `prefetch(node)` is told the next node to expand. Returns the
  // results, best first.
  template <typename Expand, typename PrefetchNext>
  static std::vector<Entry> BestFirst(Entry entry, int ef, faiss::VisitedTable& visited,
                                      Expand&& expand, PrefetchNext&& prefetch);

  // HNSW search over FAISS's graph with the int8 rows: greedy descent through the upper levels,
  // then the best-first search of level 0. Unlike HNSW::search it prefetches each expanded node's
  // unvisited neighbours before scoring them (memory-level parallelism: at a million templates
  // every row read is a cache miss).
  std::vector<Entry> SearchGraph(const int8_t* query, int ef, faiss::VisitedTable& visited) const;

  // The same search with neighbour codes: an expansion reads the node's block (links and the
  // links' codes, one contiguous read, prefetched while the node waits its turn) and scores every
  // link with one table-lookup scan; no neighbour's row is read.
  std::vector<Entry> SearchGraphCoded(const float* query, const int8_t* query8, int ef,
                                      faiss::VisitedTable& visited) const;

  // Trains the neighbour codes once the index holds options_.neighbor_codes_min_size vectors (at
  // least 1,024), on up to NeighborCodes::kTrainingVectors live ones, and again each time the
  // index has grown to 4 times the training size until that is kTrainingVectors (a codebook
  // fitted to a small start would otherwise serve the grown index; retraining recodes everything,
  // amortised O(1) per vector added). Then codes the nodes from `first_new` on and brings the
  // blocks up to date with the links (`relinked`: as NeighborCodes::Sync).
  void UpdateNeighborCodes(FaissId first_new, const std::vector<int>* relinked);

  // Walk codes padded to whole cache lines and 64-byte aligned: a 192-D row is 3 lines. They
  // carry no per-row factor (a 4-byte scale made a row 4 lines, or cost a miss in an array apart;
  // either way about a fifth more time per row read, docs/benchmarks.md).
  size_t Row8Bytes() const { return (static_cast<size_t>(index_->d) + 63) / 64 * 64; }
  const int8_t* Row8(int node) const {
    return rows8_.data() + static_cast<size_t>(node) * Row8Bytes();
  }

  // FAISS's arrays a search reads at random (links and their offsets, the float32 rows re-ranked)
  // on transparent huge pages (huge_pages.h; rows8_ is allocated there). Each is
  // moved again only when an Add has reallocated it, which vectors do geometrically, so the copies
  // cost amortised O(1).
  void KeepWalkArraysOnHugePages();
  template <typename T>
  void Rehome(std::vector<T>* v, size_t slot);

  // IndexHNSWFlat's storage is always an IndexFlat (checked when read back).
  faiss::IndexFlatCodes* Storage() const {
    return static_cast<faiss::IndexFlatCodes*>(index_->storage);
  }

  std::unique_ptr<faiss::IndexHNSWFlat> index_;
  HnswOptions options_;
  KernelIsa isa_ = DetectKernelIsa();
  std::vector<int64_t> labels_;                 // FAISS number -> id
  std::unordered_map<int64_t, FaissId> slots_;  // live id -> FAISS number
  std::unordered_set<FaissId> dead_;            // removed FAISS numbers
  // Walk codes of each vector (QuantizeDirection), Row8Bytes apart.
  std::vector<int8_t, HugePageAllocator<int8_t>> rows8_;
  NeighborCodes neighbor_codes_;  // trained from options_.neighbor_codes_min_size vectors
  // Where KeepWalkArraysOnHugePages left each array (data, capacity).
  std::array<std::pair<const void*, size_t>, 3> huge_page_homes_{};
};

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_HNSW_INDEX_INTERNAL_H_
