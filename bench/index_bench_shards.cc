#include "index_bench_shards.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "index/sharded_index.h"

namespace facet::bench {
namespace {

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

void ReportShards(const ShardBenchInput& in, const std::vector<int>& shard_counts,
                  const std::vector<int>& efs, const BuildHnswFn& build) {
  const auto dims = static_cast<size_t>(in.dims);
  const size_t n = in.probe_mate.size();
  std::printf("\nShards: %zu gallery templates split by ShardOf(id), %zu probes, top-%d merged, "
              "1 thread (CPU time per query)\n",
              in.ids.size(), n, in.top_k);
  std::printf("| shards | templates per shard | ef | mate 1st | = exact top | = exact outcome | "
              "= exact decision | CPU/query, all shards | slowest shard/query |\n");
  for (const int shards : shard_counts) {
    std::vector<std::vector<int64_t>> shard_ids(static_cast<size_t>(shards));
    std::vector<std::vector<float>> shard_vectors(static_cast<size_t>(shards));
    for (size_t i = 0; i < in.ids.size(); ++i) {
      const auto s = static_cast<size_t>(index::ShardOf(static_cast<uint64_t>(in.ids[i]), shards));
      shard_ids[s].push_back(in.ids[i]);
      const auto row = in.gallery.subspan(i * dims, dims);
      shard_vectors[s].insert(shard_vectors[s].end(), row.begin(), row.end());
    }
    std::vector<std::unique_ptr<index::VectorIndex>> parts;
    size_t smallest = in.ids.size(), largest = 0;
    for (size_t s = 0; s < shard_ids.size(); ++s) {
      const std::string name =
          shards == 1 ? "" : "_shard" + std::to_string(s) + "of" + std::to_string(shards);
      parts.push_back(build(shard_ids[s], shard_vectors[s], name));
      if (parts.back() == nullptr) {
        std::fprintf(stderr, "index_bench: shard %zu of %d could not be built\n", s, shards);
        std::exit(1);
      }
      smallest = std::min(smallest, shard_ids[s].size());
      largest = std::max(largest, shard_ids[s].size());
      std::vector<int64_t>().swap(shard_ids[s]);
      std::vector<float>().swap(shard_vectors[s]);
    }
    auto sharded = index::ShardedIndex::Create(std::move(parts));
    if (!sharded.ok()) {
      std::fprintf(stderr, "index_bench: %s\n", sharded.status().ToString().c_str());
      std::exit(1);
    }
    for (const int ef : efs) {
      sharded->SetEfSearch(ef);
      size_t mate_first = 0, agree = 0, same_outcome = 0, same_decision = 0;
      double cpu_all = 0, cpu_slowest = 0;
      std::vector<Result<std::vector<index::SearchHit>>> answers;
      std::vector<index::SearchHit> hits;
      for (size_t q = 0; q < n; ++q) {
        const auto query = in.probes.subspan(q * dims, dims);
        answers.clear();
        double slowest = 0;
        for (int s = 0; s < shards; ++s) {
          const double start = ThreadCpuSeconds();
          sharded->shard(s).Search(query, in.top_k, &hits);
          const double spent = ThreadCpuSeconds() - start;
          cpu_all += spent;
          slowest = std::max(slowest, spent);
          answers.emplace_back(hits);
        }
        cpu_slowest += slowest;
        auto merged = index::MergeShardHits(answers, in.top_k);
        if (!merged.ok()) {
          std::fprintf(stderr, "index_bench: %s\n", merged.status().ToString().c_str());
          std::exit(1);
        }
        const int64_t top = merged->empty() ? -1 : (*merged)[0].id;
        const int64_t decision =
            !merged->empty() && (*merged)[0].similarity >= in.threshold ? top : -1;
        mate_first += top == in.probe_mate[q];
        agree += top == in.exact_top[q];
        same_outcome += (top == in.probe_mate[q]) == (in.exact_top[q] == in.probe_mate[q]);
        same_decision += decision == in.exact_decision[q];
      }
      const auto pct = [&](size_t count) {
        return 100.0 * static_cast<double>(count) / static_cast<double>(n);
      };
      std::printf("| %d | %zu-%zu | %d | %6.2f %% | %6.2f %% | %6.2f %% | %6.2f %% | %.3f ms | "
                  "%.3f ms |\n",
                  shards, smallest, largest, ef, pct(mate_first), pct(agree), pct(same_outcome),
                  pct(same_decision), cpu_all / static_cast<double>(n) * 1e3,
                  cpu_slowest / static_cast<double>(n) * 1e3);
      std::fflush(stdout);
    }
  }
}

}  // namespace facet::bench
