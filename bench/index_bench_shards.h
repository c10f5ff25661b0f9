// index_bench --shards=1,2,4: the gallery split by ShardOf(id) into S HNSW graphs, each query
// searched on every shard and merged (src/index/sharded_index.h), against exact float32 search
// over the whole gallery (docs/cluster.md, "Shards").
#ifndef FACET_BENCH_INDEX_BENCH_SHARDS_H_
#define FACET_BENCH_INDEX_BENCH_SHARDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "index/vector_index.h"

namespace facet::bench {

struct ShardBenchInput {
  int dims = 0;
  std::span<const int64_t> ids;       // gallery ids; each is its own placement key
  std::span<const float> gallery;     // ids.size() * dims
  std::span<const float> probes;      // probe_mate.size() * dims
  std::span<const int64_t> probe_mate;
  std::span<const int64_t> exact_top;       // exact float32's top id per probe
  std::span<const int64_t> exact_decision;  // ... or -1 when below the threshold
  float threshold = 0;
  int top_k = 10;
};

// Builds (or reads from the cache, by `cache_name`) an HNSW index of the given vectors.
using BuildHnswFn = std::function<std::unique_ptr<index::VectorIndex>(
    std::span<const int64_t> ids, std::span<const float> vectors, const std::string& cache_name)>;

// Prints one table row per (shard count, ef): agreement with exact search and the CPU time per
// query over all shards and on the slowest shard (a fanned-out query's wait).
void ReportShards(const ShardBenchInput& input, const std::vector<int>& shard_counts,
                  const std::vector<int>& efs, const BuildHnswFn& build);

}  // namespace facet::bench

#endif  // FACET_BENCH_INDEX_BENCH_SHARDS_H_
