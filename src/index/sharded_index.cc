#include "index/sharded_index.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace facet::index {

int ShardOf(uint64_t placement_key, int shards) {
  // SplitMix64's finaliser (Steele, Lea, Flood 2014): every input bit moves every output bit.
  uint64_t z = placement_key + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return shards <= 1 ? 0 : static_cast<int>(z % static_cast<uint64_t>(shards));
}

Result<std::vector<SearchHit>> MergeShardHits(
    std::span<const Result<std::vector<SearchHit>>> per_shard, int k) {
  if (per_shard.empty()) return Status::InvalidArgument("no shard answers to merge");
  std::vector<SearchHit> merged;
  for (size_t s = 0; s < per_shard.size(); ++s) {
    const auto& answer = per_shard[s];
    if (!answer.ok()) {
      return Status(answer.status().code(),
                    "shard " + std::to_string(s) + " of " + std::to_string(per_shard.size()) +
                        " did not answer, so no answer is given from the others: " +
                        answer.status().message());
    }
    merged.insert(merged.end(), answer->begin(), answer->end());
  }
  const size_t keep = std::min(merged.size(), static_cast<size_t>(std::max(k, 0)));
  const auto better = [](const SearchHit& a, const SearchHit& b) {
    return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
  };
  std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(keep),
                    merged.end(), better);
  merged.resize(keep);
  return merged;
}

Result<ShardedIndex> ShardedIndex::Create(std::vector<std::unique_ptr<VectorIndex>> shards) {
  if (shards.empty()) return Status::InvalidArgument("a sharded index needs at least one shard");
  for (const auto& shard : shards) {
    if (shard == nullptr) return Status::InvalidArgument("a shard is null");
    if (shard->dimensions() != shards.front()->dimensions()) {
      return Status::InvalidArgument("shards of different dimensions");
    }
  }
  return ShardedIndex(std::move(shards));
}

size_t ShardedIndex::size() const {
  size_t total = 0;
  for (const auto& shard : shards_) total += shard->size();
  return total;
}

Status ShardedIndex::Add(std::span<const int64_t> ids, std::span<const uint64_t> placement_keys,
                         std::span<const float> vectors) {
  const auto dims = static_cast<size_t>(dimensions());
  if (placement_keys.size() != ids.size() || vectors.size() != ids.size() * dims) {
    return Status::InvalidArgument("ids, placement keys and vectors differ in count");
  }
  std::unordered_set<int64_t> seen;
  for (const int64_t id : ids) {
    if (!seen.insert(id).second) return Status::InvalidArgument("an id is given twice");
    for (const auto& shard : shards_) {
      if (shard->Contains(id)) return Status::InvalidArgument("an id is already in the index");
    }
  }
  std::vector<std::vector<int64_t>> shard_ids(shards_.size());
  std::vector<std::vector<float>> shard_vectors(shards_.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto s = static_cast<size_t>(ShardOf(placement_keys[i], shard_count()));
    shard_ids[s].push_back(ids[i]);
    const auto row = vectors.subspan(i * dims, dims);
    shard_vectors[s].insert(shard_vectors[s].end(), row.begin(), row.end());
  }
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (shard_ids[s].empty()) continue;
    Status added = shards_[s]->Add(shard_ids[s], shard_vectors[s]);
    if (!added.ok()) {
      for (size_t undo = 0; undo < s; ++undo) shards_[undo]->Remove(shard_ids[undo]);
      return added;
    }
  }
  return Status::Ok();
}

void ShardedIndex::Remove(std::span<const int64_t> ids) {
  for (const auto& shard : shards_) shard->Remove(ids);
}

Result<std::vector<SearchHit>> ShardedIndex::Search(std::span<const float> query, int k) const {
  if (query.size() != static_cast<size_t>(dimensions())) {
    return Status::InvalidArgument("the query's dimensions differ from the index's");
  }
  std::vector<Result<std::vector<SearchHit>>> answers;
  answers.reserve(shards_.size());
  std::vector<SearchHit> hits;
  for (const auto& shard : shards_) {
    shard->Search(query, k, &hits);
    answers.emplace_back(hits);
  }
  return MergeShardHits(answers, k);
}

void ShardedIndex::SetEfSearch(int ef_search) {
  for (const auto& shard : shards_) shard->SetEfSearch(ef_search);
}

}  // namespace facet::index
