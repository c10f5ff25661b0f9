// The HNSW walk's neighbour codes: every vector's 4-bit product-quantisation code (16 bytes at
// 192-D) copied beside the level-0 links of each node that links to it, the layout of NGT's
// quantised graph (Iwasaki & Miyazaki, 2018). Expanding a node then reads one contiguous block,
// its links and its neighbours' codes, and scores them all with one table-lookup scan
// (ScanNibbleGroup, kernels.h) instead of reading each neighbour's vector at a random address:
// at a million templates those random reads were two thirds of a query (docs/benchmarks.md).
//
// The codes are coarse (about 0.05 of cosine similarity); they only steer the walk. HnswIndex
// re-ranks the walk's candidates with the float32 vectors, so the similarities it returns are
// exact.
//
// Ownership: holds the quantiser, one code per vector and one block per node. Thread-safety:
// const methods may run concurrently; the others need exclusive access (HnswIndex calls them from
// Add, Remove and Restore, which have it).
#ifndef FACET_SRC_INDEX_NEIGHBOR_CODES_H_
#define FACET_SRC_INDEX_NEIGHBOR_CODES_H_

#include <faiss/impl/HNSW.h>
#include <faiss/impl/ProductQuantizer.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "facet/status.h"
#include "index/bytes.h"
#include "index/huge_pages.h"
#include "index/kernels.h"

namespace facet::index {

class NeighborCodes {
 public:
  // Vectors the quantiser is trained on at most (the first ones added).
  static constexpr size_t kTrainingVectors = 65'536;

  // Subspaces for `dimensions`-D vectors: the largest divisor of `dimensions` that is at most
  // dimensions / 6 (32 at 192-D, 6 dimensions each), between 1 and kMaxNibbleSubspaces.
  static int SubspacesFor(int dimensions);

  bool trained() const { return quantizer_ != nullptr; }
  // Vectors the quantiser was trained on.
  size_t training_size() const { return training_size_; }

  // Trains the quantiser (16 centroids per subspace, FAISS's k-means, fixed seed) on `count`
  // packed vectors (count >= 16).
  Status Train(int dimensions, const float* vectors, size_t count);

  // Codes vectors [first, first + count), packed in `vectors`. Needs trained().
  void Encode(size_t first, const float* vectors, size_t count);

  // Brings the blocks of nodes [0, hnsw.levels.size()) up to date with FAISS's level-0 links and
  // the codes: writes new nodes' blocks and rewrites those of the nodes in `relinked` (the only
  // older nodes whose links changed; nullptr: not known, every node's links are compared with its
  // block's copy) and of every node linking to one in `recoded` (nodes whose codes Encode changed
  // in place; a scan of all blocks). All nodes must be coded.
  void Sync(const faiss::HNSW& hnsw, const std::vector<int>* relinked,
            std::span<const int> recoded);

  // The query's lookup table: lut[16 * m + c] stands for the inner product of the query's
  // subspace m with centroid c, all subspaces on one uint8 scale (sums keep the order of the
  // similarities up to rounding).
  void PrepareQuery(const float* query, std::vector<uint8_t>* lut) const;
  // The table's sum for `node`'s own code.
  int Score(const uint8_t* lut, int node) const;

  // `node`'s level-0 links: link_slots() entries, -1 after the last.
  const int32_t* Links(int node) const { return reinterpret_cast<const int32_t*>(Block(node)); }
  int link_slots() const { return link_slots_; }
  // sums[j] = the table's sum for the code of `node`'s link j, for j < count (count rounded up
  // to whole groups of kNibbleGroup is written).
  void ScoreLinks(KernelIsa isa, const uint8_t* lut, int node, int count, uint16_t* sums) const;
  // Starts loading `node`'s block into the cache.
  void Prefetch(int node) const;

  size_t MemoryBytes() const;

  // The quantiser's centroids and training size (the codes are recomputed from the vectors).
  void Serialize(ByteWriter* w) const;
  // The bytes Serialize appends.
  size_t SerializedBytes() const;
  // False when the bytes do not hold a quantiser for `dimensions`-D vectors.
  bool Restore(int dimensions, ByteReader* r);

 private:
  const uint8_t* Block(int node) const {
    return blocks_.data() + static_cast<size_t>(node) * block_bytes_;
  }
  void WriteBlock(const faiss::HNSW& hnsw, size_t node);
  void SetLayout(int link_slots);
  void ClearCodes();  // codes and blocks, not the quantiser

  std::unique_ptr<faiss::ProductQuantizer> quantizer_;
  int subspaces_ = 0;
  size_t training_size_ = 0;
  std::vector<uint8_t> codes_;  // vector i's codes at i * subspaces_, one byte each (< 16)
  int link_slots_ = 0;          // FAISS's level-0 links per node (2 M)
  size_t block_bytes_ = 0;      // links, then packed groups of codes; whole cache lines
  std::vector<uint8_t, HugePageAllocator<uint8_t>> blocks_;
};

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_NEIGHBOR_CODES_H_
