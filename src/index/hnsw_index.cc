// FAISS HNSW (flat storage, inner product) behind VectorIndex, for large galleries.
//
// FAISS numbers vectors 0..n-1 in insertion order; `labels_` maps them to facet's ids. HNSW
// cannot delete nodes: Remove overwrites the vector with zeros (the data is gone) and marks the
// node dead; searches skip dead nodes. Searching calls HNSW::search directly, one query on the
// calling thread: IndexHNSW::search would open an OpenMP team per call and update a global
// statistics struct without synchronisation.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/NSG.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "index/bytes.h"
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

class HnswIndex final : public VectorIndex {
 public:
  HnswIndex(std::unique_ptr<faiss::IndexHNSWFlat> index, const HnswOptions& options)
      : index_(std::move(index)), options_(options) {}

  IndexKind kind() const override { return IndexKind::kHnsw; }
  int dimensions() const override { return index_->d; }
  size_t size() const override { return slots_.size(); }
  bool Contains(int64_t id) const override { return slots_.count(id) > 0; }
  size_t MemoryBytes() const override {
    return Storage()->codes.size() + index_->hnsw.neighbors.size() * sizeof(int32_t) +
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
      index_->add(static_cast<FaissId>(ids.size()), vectors.data());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("HNSW add failed: ") + e.what());
    }
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
      dead_.insert(it->second);
      slots_.erase(it);
    }
  }

  using VectorIndex::Search;
  void Search(std::span<const float> query, int k, std::vector<SearchHit>* hits,
              int ef_search) const override {
    hits->clear();
    if (k <= 0 || slots_.empty() || query.size() != static_cast<size_t>(index_->d)) return;
    // Dead nodes hold zero vectors (similarity 0): ask for a few more and drop them.
    const int wanted = k + static_cast<int>(std::min<size_t>(dead_.size(), 16));
    std::vector<FaissId> found(wanted, -1);
    std::vector<float> distances(wanted);
    faiss::SearchParametersHNSW params;
    params.efSearch = std::max(ef_search > 0 ? ef_search : options_.ef_search, wanted);
    try {
      thread_local std::unique_ptr<faiss::VisitedTable> visited;
      if (!visited || visited->visited.size() < static_cast<size_t>(index_->ntotal)) {
        visited = std::make_unique<faiss::VisitedTable>(static_cast<int>(index_->ntotal));
      }
      std::unique_ptr<faiss::DistanceComputer> distance(
          faiss::nsg::storage_distance_computer(index_->storage));
      distance->set_query(query.data());
      index_->hnsw.search(*distance, wanted, found.data(), distances.data(), *visited, &params);
      visited->advance();
    } catch (const std::exception&) {
      return;  // FAISS checks only its own invariants here; treat as no result
    }
    // HNSW::search leaves its results in heap order (IndexHNSW::search reorders them): sort.
    std::vector<SearchHit> all;
    for (int i = 0; i < wanted; ++i) {
      if (found[i] < 0 || dead_.count(found[i]) > 0) continue;
      // The distance computer negates inner products (HNSW minimises).
      all.push_back({labels_[found[i]], -distances[i]});
    }
    std::sort(all.begin(), all.end(), [](const SearchHit& a, const SearchHit& b) {
      return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
    });
    if (all.size() > static_cast<size_t>(k)) all.resize(k);
    *hits = std::move(all);
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
      if (hnsw == nullptr || hnsw->d != index_->d ||
          hnsw->metric_type != faiss::METRIC_INNER_PRODUCT ||
          static_cast<uint64_t>(hnsw->ntotal) != label_count) {
        return Status::CorruptData("HNSW data does not match the gallery (type, size or count)");
      }
      loaded.release();
      index_.reset(hnsw);
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
    return Status::Ok();
  }

 private:
  faiss::IndexFlatCodes* Storage() const {
    return dynamic_cast<faiss::IndexFlatCodes*>(index_->storage);
  }

  std::unique_ptr<faiss::IndexHNSWFlat> index_;
  HnswOptions options_;
  std::vector<int64_t> labels_;                   // FAISS number -> id
  std::unordered_map<int64_t, FaissId> slots_;    // live id -> FAISS number
  std::unordered_set<FaissId> dead_;              // removed FAISS numbers
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
