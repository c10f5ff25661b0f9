#include "index/hnsw_build.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/utils/random.h>
#include <omp.h>

#include <utility>
#include <vector>

namespace facet::index {
namespace {

using FaissId = faiss::Index::idx_t;

// -inner product (HNSW minimises) of a query or a stored vector with stored vectors.
class NegativeInnerProduct final : public faiss::DistanceComputer {
 public:
  NegativeInnerProduct(const faiss::IndexFlatCodes& storage, KernelIsa isa)
      : base_(reinterpret_cast<const float*>(storage.codes.data())),
        dimensions_(storage.d),
        isa_(isa) {}
  void set_query(const float* x) override { query_ = x; }
  float operator()(idx_t i) override { return -Dot(query_, base_ + i * dimensions_); }
  float symmetric_dis(idx_t i, idx_t j) override {
    return -Dot(base_ + i * dimensions_, base_ + j * dimensions_);
  }

 private:
  float Dot(const float* a, const float* b) const {
    float out = 0;
    DotF32(isa_, a, b, 1, dimensions_, &out);
    return out;
  }
  const float* base_;
  const float* query_ = nullptr;
  int dimensions_;
  KernelIsa isa_;
};

}  // namespace

std::optional<std::vector<int>> AddToGraph(faiss::IndexHNSWFlat* index, FaissId n, const float* x,
                                           KernelIsa isa) {
  faiss::HNSW& hnsw = index->hnsw;
  const FaissId n0 = index->ntotal;
  index->storage->add(n, x);
  index->ntotal = index->storage->ntotal;
  const FaissId ntotal = index->ntotal;
  std::vector<int> relinked;
  bool in_parallel = false;
  if (n == 0) return relinked;
  hnsw.prepare_level_tab(static_cast<size_t>(n), false);
  std::vector<omp_lock_t> locks(static_cast<size_t>(ntotal));
  for (omp_lock_t& lock : locks) omp_init_lock(&lock);
  // Bucket the new vectors by level; insert the highest levels first.
  std::vector<int> histogram;
  for (FaissId i = 0; i < n; ++i) {
    const auto level = static_cast<size_t>(hnsw.levels[n0 + i] - 1);
    if (level >= histogram.size()) histogram.resize(level + 1, 0);
    ++histogram[level];
  }
  std::vector<int> offsets(histogram.size() + 1, 0);
  for (size_t l = 0; l + 1 < histogram.size(); ++l) offsets[l + 1] = offsets[l] + histogram[l];
  std::vector<int> order(static_cast<size_t>(n));
  for (FaissId i = 0; i < n; ++i) {
    const int level = hnsw.levels[n0 + i] - 1;
    order[offsets[level]++] = static_cast<int>(n0 + i);
  }
  faiss::RandomGenerator rng(789);
  int i1 = static_cast<int>(n);
  const auto& storage = *static_cast<const faiss::IndexFlatCodes*>(index->storage);
  for (int level = static_cast<int>(histogram.size()) - 1; level >= 0; --level) {
    const int i0 = i1 - histogram[level];
    for (int j = i0; j < i1; ++j) std::swap(order[j], order[j + rng.rand_int(i1 - j)]);
    const bool parallel = i1 > i0 + 100;
    in_parallel = in_parallel || parallel;
#pragma omp parallel if (parallel)
    {
      faiss::VisitedTable visited(static_cast<int>(ntotal));
      NegativeInnerProduct distance(storage, isa);
#pragma omp for schedule(static)
      for (int i = i0; i < i1; ++i) {
        const int id = order[i];
        distance.set_query(x + static_cast<size_t>(id - n0) * index->d);
        hnsw.add_with_locks(distance, level, id, locks, visited);
        if (!parallel) {  // one thread: the node's level-0 list is still the one it went in with
          relinked.push_back(id);
          size_t begin = 0;
          size_t end = 0;
          hnsw.neighbor_range(id, 0, &begin, &end);
          for (size_t j = begin; j < end && hnsw.neighbors[j] >= 0; ++j) {
            relinked.push_back(hnsw.neighbors[j]);
          }
        }
      }
    }
    i1 = i0;
  }
  for (omp_lock_t& lock : locks) omp_destroy_lock(&lock);
  if (in_parallel) return std::nullopt;
  return relinked;
}

}  // namespace facet::index
