// A gallery's index split into shards (docs/cluster.md, "Shards"): every template lives on
// exactly one shard, chosen from a placement key (the person's uid in the cluster design, so a
// person's templates share a shard and an erasure touches one); a query asks every shard for its
// best k and merges them. A query never answers from part of the gallery: if one shard cannot
// answer, the query fails, because "nobody above the threshold" from the shards that did answer
// is a false statement about the people on the one that did not.
//
// ShardOf and MergeShardHits are what a node fanning a query out to other nodes needs; that
// fan-out is not built yet (docs/cluster.md). ShardedIndex holds all shards in one process: the
// oracle for the fan-out and what bench/index_bench measures recall with (--shards).
#ifndef FACET_SRC_INDEX_SHARDED_INDEX_H_
#define FACET_SRC_INDEX_SHARDED_INDEX_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "facet/status.h"
#include "index/vector_index.h"

namespace facet::index {

// The shard of `placement_key` among `shards` (>= 1; 0 for anything less): a 64-bit mix of the key (SplitMix64's
// finaliser) modulo the count, so sequential keys spread evenly. Stable across versions: it
// decides where data lives.
int ShardOf(uint64_t placement_key, int shards);

// Merges the shards' answers (each the shard's best hits, best first) into the best `k`, best
// first; equal similarities by lower id, so the merge does not depend on the order the answers
// are given in (which hits each shard's own top k kept among equal ones is the shard's matter).
// If any answer is an error the merge is that error, prefixed with the shard's number: never a
// partial answer. An empty span is kInvalidArgument.
Result<std::vector<SearchHit>> MergeShardHits(
    std::span<const Result<std::vector<SearchHit>>> per_shard, int k);

// All shards of one gallery in one process.
//
// Thread-safety: as VectorIndex: Search and the const accessors may run concurrently; Add,
// Remove and SetEfSearch need exclusive access.
class ShardedIndex {
 public:
  // Takes ownership of `shards` (at least one, all non-null, of the same dimensions). Shards
  // that already hold vectors (read back from a snapshot or a cache) must hold them where Add
  // would have put them, each id on one shard only; nothing here can check that.
  static Result<ShardedIndex> Create(std::vector<std::unique_ptr<VectorIndex>> shards);

  int shard_count() const { return static_cast<int>(shards_.size()); }
  const VectorIndex& shard(int i) const { return *shards_[static_cast<size_t>(i)]; }
  int dimensions() const { return shards_.front()->dimensions(); }
  // Live vectors over all shards.
  size_t size() const;

  // Adds each vector to ShardOf(its placement key). `placement_keys` has one key per id. An id
  // already present on any shard is kInvalidArgument and nothing is added.
  Status Add(std::span<const int64_t> ids, std::span<const uint64_t> placement_keys,
             std::span<const float> vectors);
  // Removes the ids present (absent ids are ignored), wherever they are.
  void Remove(std::span<const int64_t> ids);

  // The `k` most similar vectors over all shards, most similar first: each shard's best k,
  // merged. Every shard is searched, one after another on the calling thread.
  Result<std::vector<SearchHit>> Search(std::span<const float> query, int k) const;
  void SetEfSearch(int ef_search);

 private:
  explicit ShardedIndex(std::vector<std::unique_ptr<VectorIndex>> shards)
      : shards_(std::move(shards)) {}
  std::vector<std::unique_ptr<VectorIndex>> shards_;
};

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_SHARDED_INDEX_H_
