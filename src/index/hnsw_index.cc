// FAISS HNSW (flat storage, inner product) behind VectorIndex, for large galleries.
//
// FAISS numbers vectors 0..n-1 in insertion order; `labels_` maps them to facet's ids. HNSW
// cannot delete nodes: Remove overwrites the vector with zeros (the data is gone) and marks the
// node dead; searches skip dead nodes. Searching calls HNSW::search directly, one query on the
// calling thread: IndexHNSW::search would open an OpenMP team per call and update a global
// statistics struct without synchronisation.
//
// Distances: Debian's libfaiss is built for baseline x86-64 and computes each inner product with
// a scalar loop; facet builds the FAISS graph with its own distance computer (the AVX2 kernel of
// kernels.h), several times faster, and searches it with int8 codes of the vectors' directions
// (QuantizeDirection: three cache lines a row at 192-D, on transparent huge pages), re-ranking
// the best candidates in float32. Adding mirrors FAISS's
// hnsw_add_vertices (IndexHNSW.cpp, 1.7.3): levels drawn by HNSW::prepare_level_tab, vectors
// inserted from the highest level down, in parallel with per-node locks.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/random.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "index/bytes.h"
#include "index/huge_pages.h"
#include "index/kernels.h"
#include "index/vector_index.h"

namespace facet::index {
namespace {

using FaissId = faiss::Index::idx_t;

// An IOReader over borrowed bytes (faiss's VectorIOReader would copy them).
struct SpanReader : faiss::IOReader {
  explicit SpanReader(std::span<const uint8_t> bytes) : data(bytes) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0) return 0;
    const size_t available = (data.size() - position) / size;
    const size_t n = std::min(nitems, available);
    std::memcpy(ptr, data.data() + position, n * size);
    position += n * size;
    return n;
  }
  std::span<const uint8_t> data;
  size_t position = 0;
};

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

// The graph walk compares int8 codes of each vector's direction, all on one fixed step: codes =
// round(v / |v| / WalkStep(dim)), clipped to +-127. One step for every row means no per-row
// factor, so a 192-D row is exactly three cache lines (see Row8Bytes). The step puts the clip at
// 0.5 for 192-D and scales it with the typical component of a unit vector, 1/sqrt(dim): for
// MobileFaceNet's 192-D templates the largest component is 0.22-0.55 (LFW: 0.1 % of templates
// have one above 0.51, which is clipped). The walk only orders candidates: the best are re-ranked
// with the float32 vectors, so the similarities returned are exact.
float WalkStep(int dim) { return 0.5f * std::sqrt(192.0f / static_cast<float>(dim)) / 127; }

void QuantizeDirection(const float* values, int dim, int8_t* codes) {
  double norm = 0;
  for (int j = 0; j < dim; ++j) norm += static_cast<double>(values[j]) * values[j];
  if (!(norm > 0) || !std::isfinite(norm)) {  // zero (a removed node) or not a number
    std::fill_n(codes, dim, int8_t{0});
    return;
  }
  const float factor = static_cast<float>(1 / std::sqrt(norm)) / WalkStep(dim);
  for (int j = 0; j < dim; ++j) {
    codes[j] = static_cast<int8_t>(std::clamp(std::lround(values[j] * factor), -127L, 127L));
  }
}

class HnswIndex final : public VectorIndex {
 public:
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
           labels_.size() * sizeof(int64_t) +
           slots_.size() * (sizeof(int64_t) + sizeof(FaissId) + 2 * sizeof(void*));
  }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    if (vectors.size() != ids.size() * static_cast<size_t>(index_->d)) {
      return Status::InvalidArgument("vector count does not match id count");
    }
    std::unordered_set<int64_t> batch;
    for (int64_t id : ids) {
      if (slots_.count(id) > 0 || !batch.insert(id).second) {
        return Status::InvalidArgument("id " + std::to_string(id) + " is already indexed");
      }
    }
    try {
      AddVertices(static_cast<FaissId>(ids.size()), vectors.data());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("HNSW add failed: ") + e.what());
    }
    KeepWalkArraysOnHugePages();
    for (int64_t id : ids) {
      slots_[id] = static_cast<FaissId>(labels_.size());
      labels_.push_back(id);
    }
    return Status::Ok();
  }

  void Remove(std::span<const int64_t> ids) override {
    faiss::IndexFlatCodes* storage = Storage();
    for (int64_t id : ids) {
      auto it = slots_.find(id);
      if (it == slots_.end()) continue;
      const size_t code_size = storage->code_size;
      std::fill_n(storage->codes.begin() + static_cast<std::ptrdiff_t>(it->second * code_size),
                  code_size, uint8_t{0});
      std::fill_n(rows8_.begin() + static_cast<std::ptrdiff_t>(it->second * Row8Bytes()),
                  Row8Bytes(), int8_t{0});
      dead_.insert(it->second);
      slots_.erase(it);
    }
  }

  void SetEfSearch(int ef_search) override {
    options_.ef_search = std::max(1, ef_search);
    index_->hnsw.efSearch = options_.ef_search;
  }

  void Search(std::span<const float> query, int k, std::vector<SearchHit>* hits) const override {
    hits->clear();
    if (k <= 0 || slots_.empty() || query.size() != static_cast<size_t>(index_->d)) return;
    // Dead nodes hold zero vectors (similarity 0): ask for a few more and drop them.
    const int wanted = k + static_cast<int>(std::min<size_t>(dead_.size(), 16));
    thread_local std::unique_ptr<faiss::VisitedTable> visited;
    if (!visited || visited->visited.size() < static_cast<size_t>(index_->ntotal)) {
      visited = std::make_unique<faiss::VisitedTable>(static_cast<int>(index_->ntotal));
      MoveToHugePages(&visited->visited);
    }
    // Walk the graph with int8 similarities (a quarter of the memory traffic), then re-rank the
    // best candidates with the float32 vectors: the similarities returned are exact.
    std::vector<int8_t> query8(index_->d);
    QuantizeDirection(query.data(), index_->d, query8.data());
    const std::vector<std::pair<int32_t, int>> found =
        SearchGraph(query8.data(), std::max(options_.ef_search, wanted), *visited);
    visited->advance();
    const size_t rerank = std::min(found.size(), static_cast<size_t>(std::max(4 * wanted, 64)));
    std::vector<SearchHit> exact;
    for (size_t i = 0; i < rerank; ++i) {
      const int node = found[i].second;
      if (dead_.count(node) > 0) continue;
      float similarity = 0;
      DotF32(isa_, query.data(), Vector(node), 1, index_->d, &similarity);
      exact.push_back({labels_[node], similarity});
    }
    std::sort(exact.begin(), exact.end(), [](const SearchHit& a, const SearchHit& b) {
      return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
    });
    if (exact.size() > static_cast<size_t>(k)) exact.resize(k);
    *hits = std::move(exact);
  }

  Status Serialize(std::vector<uint8_t>* out) const override {
    faiss::VectorIOWriter writer;
    try {
      faiss::write_index(index_.get(), &writer);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("HNSW serialisation failed: ") + e.what());
    }
    ByteWriter w(out);
    w.Put<uint64_t>(writer.data.size());
    w.PutArray<uint8_t>(writer.data);
    w.Put<uint64_t>(labels_.size());
    w.PutArray<int64_t>(labels_);
    std::vector<FaissId> dead(dead_.begin(), dead_.end());
    std::sort(dead.begin(), dead.end());
    w.Put<uint64_t>(dead.size());
    w.PutArray<FaissId>(dead);
    return Status::Ok();
  }

  Status Restore(std::span<const uint8_t> bytes) {
    ByteReader r(bytes);
    uint64_t faiss_bytes = 0;
    if (!r.Get(&faiss_bytes) || faiss_bytes > r.Rest().size()) {
      return Status::CorruptData("HNSW data is truncated");
    }
    const std::span<const uint8_t> faiss_data = r.Rest().subspan(0, faiss_bytes);
    r.Skip(faiss_bytes);
    uint64_t label_count = 0;
    uint64_t dead_count = 0;
    std::vector<FaissId> dead;
    if (!r.Get(&label_count) || !r.GetArray(label_count, &labels_) || !r.Get(&dead_count) ||
        !r.GetArray(dead_count, &dead) || !r.AtEnd()) {
      return Status::CorruptData("HNSW labels are truncated or malformed");
    }
    try {
      SpanReader reader(faiss_data);
      std::unique_ptr<faiss::Index> loaded(faiss::read_index(&reader));
      auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(loaded.get());
      if (hnsw == nullptr || dynamic_cast<faiss::IndexFlat*>(hnsw->storage) == nullptr ||
          hnsw->d != index_->d ||
          hnsw->metric_type != faiss::METRIC_INNER_PRODUCT ||
          static_cast<uint64_t>(hnsw->ntotal) != label_count) {
        return Status::CorruptData("HNSW data does not match the gallery (type, size or count)");
      }
      index_.reset(static_cast<faiss::IndexHNSWFlat*>(loaded.release()));
    } catch (const std::exception& e) {
      return Status::CorruptData(std::string("HNSW data is malformed: ") + e.what());
    }
    for (FaissId d : dead) {
      if (d < 0 || static_cast<uint64_t>(d) >= label_count) {
        return Status::CorruptData("HNSW dead-node list is malformed");
      }
      dead_.insert(d);
    }
    for (size_t i = 0; i < labels_.size(); ++i) {
      if (dead_.count(static_cast<FaissId>(i)) > 0) continue;
      if (!slots_.emplace(labels_[i], static_cast<FaissId>(i)).second) {
        return Status::CorruptData("HNSW data repeats id " + std::to_string(labels_[i]));
      }
    }
    index_->hnsw.efSearch = options_.ef_search;
    Quantize(0, index_->ntotal);
    KeepWalkArraysOnHugePages();
    return Status::Ok();
  }

 private:
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

  void Quantize(FaissId first, FaissId count) {
    rows8_.resize(static_cast<size_t>(index_->ntotal) * Row8Bytes());
    for (FaissId node = first; node < first + count; ++node) {
      QuantizeDirection(Vector(static_cast<int>(node)), index_->d,
                        rows8_.data() + static_cast<size_t>(node) * Row8Bytes());
    }
  }

  // HNSW search (Malkov & Yashunin, algorithms 2 and 5) over FAISS's graph: greedy descent
  // through the upper levels, then a best-first search of level 0 keeping `ef` results. Unlike
  // HNSW::search it prefetches each expanded node's unvisited neighbours before scoring them
  // (memory-level parallelism: at a million templates every vector read is a cache miss).
  // Returns (negated similarity, node), best first.
  std::vector<std::pair<int32_t, int>> SearchGraph(const int8_t* query, int ef,
                                                   faiss::VisitedTable& visited) const {
    const faiss::HNSW& hnsw = index_->hnsw;
    int nearest = hnsw.entry_point;
    int32_t nearest_distance = -Similarity8(query, nearest);
    size_t begin = 0;
    size_t end = 0;
    for (int level = hnsw.max_level; level >= 1; --level) {
      for (bool moved = true; moved;) {
        moved = false;
        hnsw.neighbor_range(nearest, level, &begin, &end);
        for (size_t j = begin; j < end; ++j) {
          const int v = hnsw.neighbors[j];
          if (v < 0) break;
          const int32_t d = -Similarity8(query, v);
          if (d < nearest_distance) {
            nearest = v;
            nearest_distance = d;
            moved = true;
          }
        }
      }
    }
    using Entry = std::pair<int32_t, int>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> candidates;  // nearest on top
    std::priority_queue<Entry> results;                                         // farthest on top
    candidates.emplace(nearest_distance, nearest);
    results.emplace(nearest_distance, nearest);
    visited.set(nearest);
    std::vector<int> batch;
    while (!candidates.empty()) {
      const auto [distance, node] = candidates.top();
      if (static_cast<int>(results.size()) >= ef && distance > results.top().first) break;
      candidates.pop();
      hnsw.neighbor_range(node, 0, &begin, &end);
      batch.clear();
      for (size_t j = begin; j < end; ++j) {
        const int v = hnsw.neighbors[j];
        if (v < 0) break;
        if (visited.get(v)) continue;
        visited.set(v);
        batch.push_back(v);
        Prefetch(v);
      }
      for (int v : batch) {
        const int32_t d = -Similarity8(query, v);
        if (static_cast<int>(results.size()) < ef || d < results.top().first) {
          candidates.emplace(d, v);
          results.emplace(d, v);
          if (static_cast<int>(results.size()) > ef) results.pop();
        }
      }
    }
    std::vector<Entry> out(results.size());
    for (size_t i = out.size(); i-- > 0;) {
      out[i] = results.top();
      results.pop();
    }
    return out;
  }

  void Prefetch(int node) const {
    const auto* bytes = reinterpret_cast<const char*>(Row8(node));
    for (size_t offset = 0; offset < Row8Bytes(); offset += 64) __builtin_prefetch(bytes + offset);
  }

  // Walk codes padded to whole cache lines and 64-byte aligned: a 192-D row is 3 lines. They
  // carry no per-row factor (a 4-byte scale made a row 4 lines, or cost a miss in an array apart;
  // either way about a fifth more time per row read, docs/benchmarks.md).
  size_t Row8Bytes() const { return (static_cast<size_t>(index_->d) + 63) / 64 * 64; }
  const int8_t* Row8(int node) const {
    return rows8_.data() + static_cast<size_t>(node) * Row8Bytes();
  }

  // IndexHNSW::add with facet's distance computer (see the file comment).
  void AddVertices(FaissId n, const float* x) {
    faiss::HNSW& hnsw = index_->hnsw;
    const FaissId n0 = index_->ntotal;
    index_->storage->add(n, x);
    index_->ntotal = index_->storage->ntotal;
    const FaissId ntotal = index_->ntotal;
    if (n == 0) return;
    Quantize(n0, n);  // the new rows (the graph is built with float32 distances)
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
    const faiss::IndexFlatCodes& storage = *Storage();
    for (int level = static_cast<int>(histogram.size()) - 1; level >= 0; --level) {
      const int i0 = i1 - histogram[level];
      for (int j = i0; j < i1; ++j) std::swap(order[j], order[j + rng.rand_int(i1 - j)]);
#pragma omp parallel if (i1 > i0 + 100)
      {
        faiss::VisitedTable visited(static_cast<int>(ntotal));
        NegativeInnerProduct distance(storage, isa_);
#pragma omp for schedule(static)
        for (int i = i0; i < i1; ++i) {
          const int id = order[i];
          distance.set_query(x + static_cast<size_t>(id - n0) * index_->d);
          hnsw.add_with_locks(distance, level, id, locks, visited);
        }
      }
      i1 = i0;
    }
    for (omp_lock_t& lock : locks) omp_destroy_lock(&lock);
  }

  // FAISS's arrays a search reads at random (links and their offsets, the float32 rows re-ranked)
  // on transparent huge pages (huge_pages.h; rows8_ is allocated there). Each is
  // moved again only when an Add has reallocated it, which vectors do geometrically, so the copies
  // cost amortised O(1).
  void KeepWalkArraysOnHugePages() {
    faiss::HNSW& hnsw = index_->hnsw;
    Rehome(&hnsw.neighbors, 0);
    Rehome(&hnsw.offsets, 1);
    Rehome(&Storage()->codes, 2);
  }
  template <typename T>
  void Rehome(std::vector<T>* v, size_t slot) {
    // Pointer and capacity: a reallocation can hand back the address just freed.
    const std::pair<const void*, size_t> home(v->data(), v->capacity());
    if (home == huge_page_homes_[slot]) return;
    MoveToHugePages(v);
    huge_page_homes_[slot] = {v->data(), v->capacity()};
  }

  // IndexHNSWFlat's storage is always an IndexFlat (checked when read back).
  faiss::IndexFlatCodes* Storage() const {
    return static_cast<faiss::IndexFlatCodes*>(index_->storage);
  }

  std::unique_ptr<faiss::IndexHNSWFlat> index_;
  HnswOptions options_;
  KernelIsa isa_ = DetectKernelIsa();
  std::vector<int64_t> labels_;                   // FAISS number -> id
  std::unordered_map<int64_t, FaissId> slots_;    // live id -> FAISS number
  std::unordered_set<FaissId> dead_;              // removed FAISS numbers
  // Walk codes of each vector (QuantizeDirection), Row8Bytes apart.
  std::vector<int8_t, HugePageAllocator<int8_t>> rows8_;
  // Where KeepWalkArraysOnHugePages left each array (data, capacity).
  std::array<std::pair<const void*, size_t>, 3> huge_page_homes_{};
};

std::unique_ptr<faiss::IndexHNSWFlat> MakeFaiss(int dimensions, const HnswOptions& options) {
  auto index = std::make_unique<faiss::IndexHNSWFlat>(dimensions, options.m,
                                                      faiss::METRIC_INNER_PRODUCT);
  index->hnsw.efConstruction = options.ef_construction;
  index->hnsw.efSearch = options.ef_search;
  return index;
}

}  // namespace

Result<std::unique_ptr<VectorIndex>> NewHnswIndex(int dimensions, const HnswOptions& options) {
  if (dimensions <= 0 || options.m < 4 || options.ef_construction < 1 || options.ef_search < 1) {
    return Status::InvalidArgument("bad HNSW options");
  }
  try {
    return std::unique_ptr<VectorIndex>(
        std::make_unique<HnswIndex>(MakeFaiss(dimensions, options), options));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot create HNSW index: ") + e.what());
  }
}

Result<std::unique_ptr<VectorIndex>> DeserializeHnswIndex(int dimensions,
                                                          std::span<const uint8_t> bytes,
                                                          const HnswOptions& options) {
  auto created = NewHnswIndex(dimensions, options);
  if (!created.ok()) return created.status();
  auto* index = static_cast<HnswIndex*>(created->get());
  FACET_RETURN_IF_ERROR(index->Restore(bytes));
  return std::move(created).value();
}

}  // namespace facet::index
