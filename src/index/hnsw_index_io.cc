// The HNSW index (hnsw_index_internal.h) written and read back: Serialize / Restore (FAISS's
// own file, the ids and the neighbour codes) and, for a node's snapshot, SerializeGraph /
// RestoreGraph (the graph without any vector, docs/store_format.md).
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "index/hnsw_graph.h"
#include "index/hnsw_index_internal.h"

namespace facet::index {
namespace {

constexpr const char* kGraphMagic = "facet.hnsw-graph.v1";

}  // namespace

Status HnswIndex::Serialize(std::vector<uint8_t>* out) const {
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
  PutRemovedAndCodes(&w);
  return Status::Ok();
}

Status HnswIndex::SerializeGraph(std::vector<uint8_t>* out) const {
  const faiss::HNSW& hnsw = index_->hnsw;
  ByteWriter w(out);
  out->reserve(out->size() + SerializedGraphBytes());
  w.PutString(kGraphMagic);
  w.Put<uint64_t>(static_cast<uint64_t>(index_->ntotal));
  w.PutArray<int>(hnsw.levels);
  std::vector<uint64_t> offsets(hnsw.offsets.begin(), hnsw.offsets.end());
  w.PutArray<uint64_t>(offsets);
  w.Put<uint64_t>(hnsw.neighbors.size());
  w.PutArray<int32_t>(std::span<const int32_t>(hnsw.neighbors.data(), hnsw.neighbors.size()));
  w.Put<int32_t>(hnsw.entry_point);
  w.Put<int32_t>(hnsw.max_level);
  w.Put<uint64_t>(hnsw.cum_nneighbor_per_level.size());
  w.PutArray<int>(hnsw.cum_nneighbor_per_level);
  // A removed node keeps its links but not its id: nothing in the file names a removed face.
  std::vector<int64_t> labels = labels_;
  for (FaissId d : dead_) labels[static_cast<size_t>(d)] = -1;
  w.PutArray<int64_t>(labels);
  PutRemovedAndCodes(&w);
  return Status::Ok();
}

Status HnswIndex::CopyLive(std::vector<int64_t>* ids, std::vector<float>* vectors) const {
  const auto nodes = static_cast<size_t>(index_->ntotal);
  const auto dims = static_cast<size_t>(index_->d);
  ids->reserve(ids->size() + nodes - dead_.size());
  vectors->reserve(vectors->size() + (nodes - dead_.size()) * dims);
  for (size_t node = 0; node < nodes; ++node) {
    if (dead_.count(static_cast<FaissId>(node)) > 0) continue;
    ids->push_back(labels_[node]);
    const float* values = Vector(static_cast<int>(node));
    vectors->insert(vectors->end(), values, values + dims);
  }
  return Status::Ok();
}

size_t HnswIndex::SerializedGraphBytes() const {
  const faiss::HNSW& hnsw = index_->hnsw;
  const size_t nodes = hnsw.levels.size();
  return sizeof(uint32_t) + std::strlen(kGraphMagic) +                    // magic
         sizeof(uint64_t) +                                               // node count
         nodes * sizeof(int) + hnsw.offsets.size() * sizeof(uint64_t) +   // levels, offsets
         sizeof(uint64_t) + hnsw.neighbors.size() * sizeof(int32_t) +     // links
         2 * sizeof(int32_t) +                                            // entry, max level
         sizeof(uint64_t) + hnsw.cum_nneighbor_per_level.size() * sizeof(int) +
         labels_.size() * sizeof(int64_t) +                               // ids
         sizeof(uint64_t) + dead_.size() * sizeof(FaissId) +              // removed
         neighbor_codes_.SerializedBytes();
}

void HnswIndex::PutRemovedAndCodes(ByteWriter* w) const {
  std::vector<FaissId> dead(dead_.begin(), dead_.end());
  std::sort(dead.begin(), dead.end());
  w->Put<uint64_t>(dead.size());
  w->PutArray<FaissId>(dead);
  neighbor_codes_.Serialize(w);
}

Status HnswIndex::RestoreGraph(std::span<const uint8_t> bytes, const FillVectorsFn& fill,
                               int64_t* removed) {
  if (removed != nullptr) *removed = 0;
  ByteReader r(bytes);
  faiss::HNSW& hnsw = index_->hnsw;
  std::string magic;
  uint64_t nodes = 0;
  if (!r.GetString(&magic, 64) || magic != kGraphMagic || !r.Get(&nodes) ||
      nodes > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return Status::CorruptData("not an HNSW graph of this format");
  }
  std::vector<int> levels;
  std::vector<uint64_t> offsets;
  uint64_t links = 0;
  std::vector<int32_t> neighbors;
  int32_t entry_point = 0;
  int32_t max_level = 0;
  uint64_t level_sizes = 0;
  std::vector<int> cum;
  uint64_t dead_count = 0;
  std::vector<FaissId> dead;
  if (!r.GetArray(nodes, &levels) || !r.GetArray(nodes + 1, &offsets) || !r.Get(&links) ||
      !r.GetArray(links, &neighbors) || !r.Get(&entry_point) || !r.Get(&max_level) ||
      !r.Get(&level_sizes) || !r.GetArray(level_sizes, &cum) || !r.GetArray(nodes, &labels_) ||
      !r.Get(&dead_count) || !r.GetArray(dead_count, &dead) ||
      !neighbor_codes_.Restore(index_->d, &r) || !r.AtEnd()) {
    return Status::CorruptData("the HNSW graph is truncated or malformed");
  }
  // Links are laid out per level by M: a graph of another M does not fit these options.
  if (cum != hnsw.cum_nneighbor_per_level) {
    return Status::CorruptData("the HNSW graph was built with other options (M)");
  }
  try {
    hnsw.levels = std::move(levels);
    hnsw.offsets.assign(offsets.begin(), offsets.end());
    hnsw.neighbors = std::move(neighbors);
    hnsw.entry_point = entry_point;
    hnsw.max_level = max_level;
    faiss::IndexFlatCodes* storage = Storage();
    storage->codes.assign(static_cast<size_t>(nodes) * storage->code_size, uint8_t{0});
    storage->ntotal = static_cast<FaissId>(nodes);
    index_->ntotal = static_cast<FaissId>(nodes);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot hold the HNSW graph: ") + e.what());
  }
  if (!GraphIsSound(*index_)) return Status::CorruptData("the HNSW graph is malformed");
  FACET_RETURN_IF_ERROR(AdoptRemovedAndIds(dead, nodes, "the HNSW graph"));
  // The vectors, from their owner (the store): a node that gets none is removed.
  std::vector<bool> filled(static_cast<size_t>(nodes), false);
  const size_t dim = static_cast<size_t>(index_->d);
  FACET_RETURN_IF_ERROR(fill([&](int64_t id, std::span<const float> vector) {
    auto it = slots_.find(id);
    if (it == slots_.end() || vector.size() != dim) return false;
    std::memcpy(Storage()->codes.data() + static_cast<size_t>(it->second) * dim * sizeof(float),
                vector.data(), dim * sizeof(float));
    filled[static_cast<size_t>(it->second)] = true;
    return true;
  }));
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (filled[static_cast<size_t>(it->second)]) {
      ++it;
      continue;
    }
    dead_.insert(it->second);  // its vector stays zero
    it = slots_.erase(it);
    if (removed != nullptr) ++*removed;
  }
  index_->hnsw.efSearch = options_.ef_search;
  Quantize(0, index_->ntotal);
  KeepWalkArraysOnHugePages();
  UpdateNeighborCodes(0, nullptr);
  return Status::Ok();
}

Status HnswIndex::Restore(std::span<const uint8_t> bytes) {
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
      !r.GetArray(dead_count, &dead)) {
    return Status::CorruptData("HNSW labels are truncated or malformed");
  }
  // Data written before neighbour codes existed ends here; the codes are then trained anew.
  if (!r.AtEnd() && (!neighbor_codes_.Restore(index_->d, &r) || !r.AtEnd())) {
    return Status::CorruptData("HNSW neighbour codes are truncated or malformed");
  }
  try {
    SpanReader reader(faiss_data);
    std::unique_ptr<faiss::Index> loaded(faiss::read_index(&reader));
    auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(loaded.get());
    if (hnsw == nullptr || dynamic_cast<faiss::IndexFlat*>(hnsw->storage) == nullptr ||
        hnsw->d != index_->d || hnsw->metric_type != faiss::METRIC_INNER_PRODUCT ||
        static_cast<uint64_t>(hnsw->ntotal) != label_count) {
      return Status::CorruptData("HNSW data does not match the gallery (type, size or count)");
    }
    if (!GraphIsSound(*hnsw)) return Status::CorruptData("HNSW graph is malformed");
    index_.reset(static_cast<faiss::IndexHNSWFlat*>(loaded.release()));
  } catch (const std::exception& e) {
    return Status::CorruptData(std::string("HNSW data is malformed: ") + e.what());
  }
  FACET_RETURN_IF_ERROR(AdoptRemovedAndIds(dead, label_count, "HNSW data"));
  index_->hnsw.efSearch = options_.ef_search;
  Quantize(0, index_->ntotal);
  KeepWalkArraysOnHugePages();
  UpdateNeighborCodes(0, nullptr);
  return Status::Ok();
}

Status HnswIndex::AdoptRemovedAndIds(const std::vector<FaissId>& dead, uint64_t nodes,
                                     const char* what) {
  for (FaissId d : dead) {
    if (d < 0 || static_cast<uint64_t>(d) >= nodes) {
      return Status::CorruptData(std::string(what) + "'s removed-node list is malformed");
    }
    dead_.insert(d);
  }
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (dead_.count(static_cast<FaissId>(i)) > 0) continue;
    if (!slots_.emplace(labels_[i], static_cast<FaissId>(i)).second) {
      return Status::CorruptData(std::string(what) + " repeats id " + std::to_string(labels_[i]));
    }
  }
  return Status::Ok();
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

Result<std::unique_ptr<VectorIndex>> RestoreHnswGraph(int dimensions,
                                                      std::span<const uint8_t> bytes,
                                                      const HnswOptions& options,
                                                      const FillVectorsFn& fill, int64_t* removed) {
  auto created = NewHnswIndex(dimensions, options);
  if (!created.ok()) return created.status();
  auto* index = static_cast<HnswIndex*>(created->get());
  FACET_RETURN_IF_ERROR(index->RestoreGraph(bytes, fill, removed));
  return std::move(created).value();
}

}  // namespace facet::index
