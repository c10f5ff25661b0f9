// How long an HNSW walk waits for a row, by row layout: the evidence for hnsw_index.cc's codes.
//
// A 1M-template walk at ef 144 expands ~146 nodes a query and reads ~57 unvisited neighbours'
// int8 rows at each (8,400 rows, all cache misses). This reads batches of 57 random rows of
// 1,000,000 the way SearchGraph does (prefetch the batch, then score each row with DotI8) in
// three layouts, interleaved in rounds so that a noisy machine affects each alike:
//   inline scale: 196-byte rows, codes + a float scale (the layout before fbdd5e4, 4 lines a row)
//   scale apart:  192-byte aligned rows + a float array of scales (3 lines + 1 miss)
//   no scale:     192-byte aligned rows (fbdd5e4's direction codes on one step, 3 lines)
// All arrays on transparent huge pages, as in the index.
//
//   build/bench/walk_rows_bench [ROUNDS (default 30)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "index/huge_pages.h"
#include "index/kernels.h"

namespace {

using facet::index::DotI8;
using facet::index::HugePageAllocator;
using facet::index::KernelIsa;

constexpr int kDim = 192;
constexpr size_t kRows = 1'000'000;
constexpr int kBatch = 57;
constexpr int kBatchesPerRound = 4000;

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

void PrefetchLines(const int8_t* row, size_t bytes) {
  const auto* p = reinterpret_cast<const char*>(row);
  for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset);
}

int32_t Dot(KernelIsa isa, const int8_t* query, const int8_t* row) {
  int32_t out = 0;
  DotI8(isa, query, row, 1, kDim, &out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
  const KernelIsa isa = facet::index::DetectKernelIsa();
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> code(-127, 127);
  HugeVector<int8_t> inline_rows(kRows * 196);
  HugeVector<int8_t> rows(kRows * 192);
  HugeVector<float> scales(kRows);
  for (int8_t& c : inline_rows) c = static_cast<int8_t>(code(rng));
  for (int8_t& c : rows) c = static_cast<int8_t>(code(rng));
  for (size_t i = 0; i < kRows; ++i) {
    const float scale = 0.003f;
    std::memcpy(inline_rows.data() + i * 196 + kDim, &scale, sizeof scale);
    scales[i] = scale;
  }
  std::vector<int8_t> query(kDim);
  for (int8_t& c : query) c = static_cast<int8_t>(code(rng));
  std::uniform_int_distribution<int> pick(0, static_cast<int>(kRows) - 1);
  std::vector<int> ids(static_cast<size_t>(kBatch) * kBatchesPerRound);
  const char* names[] = {"inline scale (196 B rows)", "scale apart (192 B + array)",
                         "no scale (192 B rows)"};
  std::vector<double> ns_per_row[3];
  double checksum = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int layout = 0; layout < 3; ++layout) {
      for (int& id : ids) id = pick(rng);
      const auto start = std::chrono::steady_clock::now();
      for (int b = 0; b < kBatchesPerRound; ++b) {
        const int* batch = ids.data() + static_cast<size_t>(b) * kBatch;
        for (int i = 0; i < kBatch; ++i) {
          const auto node = static_cast<size_t>(batch[i]);
          if (layout == 0) {
            PrefetchLines(inline_rows.data() + node * 196, 196);
          } else {
            PrefetchLines(rows.data() + node * 192, 192);
            if (layout == 1) __builtin_prefetch(scales.data() + node);
          }
        }
        for (int i = 0; i < kBatch; ++i) {
          const auto node = static_cast<size_t>(batch[i]);
          if (layout == 0) {
            const int8_t* row = inline_rows.data() + node * 196;
            float scale = 0;
            std::memcpy(&scale, row + kDim, sizeof scale);
            checksum += Dot(isa, query.data(), row) * scale;
          } else if (layout == 1) {
            checksum += Dot(isa, query.data(), rows.data() + node * 192) * scales[node];
          } else {
            checksum += Dot(isa, query.data(), rows.data() + node * 192);
          }
        }
      }
      const double ns = std::chrono::duration<double, std::nano>(
                            std::chrono::steady_clock::now() - start)
                            .count();
      ns_per_row[layout].push_back(ns / (static_cast<double>(kBatch) * kBatchesPerRound));
    }
  }
  std::printf("%d rounds of %d batches of %d random rows of %zu (%s)\n", rounds, kBatchesPerRound,
              kBatch, kRows, facet::index::KernelIsaName(isa));
  std::printf("| layout | median ns/row | min | 90th percentile |\n|---|---|---|---|\n");
  for (int layout = 0; layout < 3; ++layout) {
    std::vector<double>& t = ns_per_row[layout];
    std::sort(t.begin(), t.end());
    std::printf("| %s | %.1f | %.1f | %.1f |\n", names[layout], t[t.size() / 2], t.front(),
                t[t.size() * 9 / 10]);
  }
  std::printf("(checksum %.0f)\n", checksum);
  return 0;
}
