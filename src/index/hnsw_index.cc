// FAISS HNSW (flat storage, inner product) behind VectorIndex, for large galleries.
//
// FAISS numbers vectors 0..n-1 in insertion order; `labels_` maps them to facet's ids. HNSW
// cannot delete nodes: Remove overwrites the vector with zeros (the data is gone; so is its
// neighbour code) and marks the node dead; searches skip dead nodes. Searching walks FAISS's graph
// with facet's own code, one query on the calling thread: IndexHNSW::search would open an OpenMP
// team per call and update a global statistics struct without synchronisation.
//
// The graph is built with facet's float32 kernels (hnsw_build.h). The walk scores neighbours
// with 4-bit codes kept beside each node's links (neighbor_codes.h) once the index holds
// HnswOptions::neighbor_codes_min_size vectors (1,024 by default), and with int8 codes of the
// vectors' directions below that (QuantizeDirection: three cache lines a row at 192-D, on
// transparent huge pages; the upper levels are always descended with these). The candidates are
// re-ranked with the float32 vectors, so the similarities returned are exact.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "index/bytes.h"
#include "index/hnsw_build.h"
#include "index/hnsw_graph.h"
#include "index/huge_pages.h"
#include "index/kernels.h"
#include "index/neighbor_codes.h"
#include "index/vector_index.h"

namespace facet::index {
namespace {

using FaissId = faiss::Index::idx_t;

constexpr const char* kGraphMagic = "facet.hnsw-graph.v1";

// The fewest vectors neighbour codes are trained on (FAISS's k-means wants 39 per centroid).
constexpr int64_t kMinNeighborCodesSize = 1'024;

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
           labels_.size() * sizeof(int64_t) + neighbor_codes_.MemoryBytes() +
           slots_.size() * (sizeof(int64_t) + sizeof(FaissId) + 2 * sizeof(void*));
  }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    if (vectors.size() != ids.size() * static_cast<size_t>(index_->d)) {
      return Status::InvalidArgument("vector count does not match id count");
    }
    std::unordered_set<int64_t> batch;
    std::optional<std::vector<int>> relinked;
    for (int64_t id : ids) {
      if (slots_.count(id) > 0 || !batch.insert(id).second) {
        return Status::InvalidArgument("id " + std::to_string(id) + " is already indexed");
      }
    }
    try {
      const FaissId first = index_->ntotal;
      relinked = AddToGraph(index_.get(), static_cast<FaissId>(ids.size()), vectors.data(), isa_);
      Quantize(first, index_->ntotal - first);  // the new rows' walk codes
    } catch (const std::exception& e) {
      return Status::Internal(std::string("HNSW add failed: ") + e.what());
    }
    KeepWalkArraysOnHugePages();
    for (int64_t id : ids) {
      slots_[id] = static_cast<FaissId>(labels_.size());
      labels_.push_back(id);
    }
    UpdateNeighborCodes(index_->ntotal - static_cast<FaissId>(ids.size()),
                        relinked ? &*relinked : nullptr);
    return Status::Ok();
  }

  void Remove(std::span<const int64_t> ids) override {
    faiss::IndexFlatCodes* storage = Storage();
    std::vector<int> recoded;
    const std::vector<float> zero(static_cast<size_t>(index_->d), 0.0f);
    for (int64_t id : ids) {
      auto it = slots_.find(id);
      if (it == slots_.end()) continue;
      if (neighbor_codes_.trained()) {  // the zero vector's code: nothing of the data is left
        recoded.push_back(static_cast<int>(it->second));
        neighbor_codes_.Encode(static_cast<size_t>(it->second), zero.data(), 1);
      }
      const size_t code_size = storage->code_size;
      std::fill_n(storage->codes.begin() + static_cast<std::ptrdiff_t>(it->second * code_size),
                  code_size, uint8_t{0});
      std::fill_n(rows8_.begin() + static_cast<std::ptrdiff_t>(it->second * Row8Bytes()),
                  Row8Bytes(), int8_t{0});
      dead_.insert(it->second);
      slots_.erase(it);
    }
    if (!recoded.empty()) {
      const std::vector<int> none;  // no links changed
      neighbor_codes_.Sync(index_->hnsw, &none, recoded);
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
    // Walk the graph with neighbour codes or int8 rows, then re-rank the candidates with the
    // float32 vectors: the similarities returned are exact.
    std::vector<int8_t> query8(index_->d);
    QuantizeDirection(query.data(), index_->d, query8.data());
    const int ef = std::max(options_.ef_search, wanted);
    const bool coded = neighbor_codes_.trained();
    const std::vector<Entry> found =
        coded ? SearchGraphCoded(query.data(), query8.data(), ef, *visited)
              : SearchGraph(query8.data(), ef, *visited);
    visited->advance();
    // The neighbour codes are too coarse to pick the best few: re-rank all they found.
    const size_t rerank =
        coded ? found.size()
              : std::min(found.size(), static_cast<size_t>(std::max(4 * wanted, 64)));
    if (coded) {
      for (size_t i = 0; i < rerank; ++i) {
        PrefetchLines(Vector(found[i].second), static_cast<size_t>(index_->d) * sizeof(float));
      }
    }
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
    neighbor_codes_.Serialize(&w);
    return Status::Ok();
  }

  // "facet.hnsw-graph.v1" | u64 nodes | i32 levels[nodes] | u64 offsets[nodes + 1] |
  // u64 links | i32 neighbors[links] | i32 entry point | i32 max level | u64 level sizes |
  // i32 cum_nneighbor_per_level[..] | i64 labels[nodes] | u64 removed | i64 removed nodes[..] |
  // neighbour codebook. No vector and no code of one.
  Status SerializeGraph(std::vector<uint8_t>* out) const override {
    const faiss::HNSW& hnsw = index_->hnsw;
    ByteWriter w(out);
    out->reserve(out->size() + hnsw.neighbors.size() * sizeof(int32_t) +
                 hnsw.offsets.size() * sizeof(size_t) + labels_.size() * 12 + 4096);
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
    std::vector<FaissId> dead(dead_.begin(), dead_.end());
    std::sort(dead.begin(), dead.end());
    w.Put<uint64_t>(dead.size());
    w.PutArray<FaissId>(dead);
    neighbor_codes_.Serialize(&w);
    return Status::Ok();
  }

  Status RestoreGraph(std::span<const uint8_t> bytes, const FillVectorsFn& fill, int64_t* removed) {
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

 private:
  // Marks `dead` removed and maps every live node's id (labels_) to its slot; refuses a removed
  // node beyond `nodes` or an id used twice. `what` names the data in the error.
  Status AdoptRemovedAndIds(const std::vector<FaissId>& dead, uint64_t nodes, const char* what) {
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

  // Greedy descent through the upper levels (Malkov & Yashunin, algorithm 2 with ef 1) with the
  // int8 walk codes: the level-0 node to start from.
  int Descend(const int8_t* query) const {
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
    return nearest;
  }

  using Entry = std::pair<int32_t, int>;  // (distance: a negated score, node)

  // Best-first search of level 0 from `entry` keeping `ef` results (Malkov & Yashunin, algorithm
  // 2). `expand(node, offer)` scores node's links not yet visited (marking them) and calls
  // offer(distance, link) for each; `prefetch(node)` is told the next node to expand. Returns the
  // results, best first.
  template <typename Expand, typename PrefetchNext>
  static std::vector<Entry> BestFirst(Entry entry, int ef, faiss::VisitedTable& visited,
                                      Expand&& expand, PrefetchNext&& prefetch) {
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> candidates;  // nearest on top
    std::priority_queue<Entry> results;                                         // farthest on top
    candidates.push(entry);
    results.push(entry);
    visited.set(entry.second);
    auto offer = [&](int32_t d, int v) {
      if (static_cast<int>(results.size()) < ef || d < results.top().first) {
        candidates.emplace(d, v);
        results.emplace(d, v);
        if (static_cast<int>(results.size()) > ef) results.pop();
      }
    };
    while (!candidates.empty()) {
      const auto [distance, node] = candidates.top();
      if (static_cast<int>(results.size()) >= ef && distance > results.top().first) break;
      candidates.pop();
      expand(node, offer);
      if (!candidates.empty()) prefetch(candidates.top().second);
    }
    std::vector<Entry> out(results.size());
    for (size_t i = out.size(); i-- > 0;) {
      out[i] = results.top();
      results.pop();
    }
    return out;
  }

  // HNSW search over FAISS's graph with the int8 rows: greedy descent through the upper levels,
  // then the best-first search of level 0. Unlike HNSW::search it prefetches each expanded node's
  // unvisited neighbours before scoring them (memory-level parallelism: at a million templates
  // every row read is a cache miss).
  std::vector<Entry> SearchGraph(const int8_t* query, int ef, faiss::VisitedTable& visited) const {
    const faiss::HNSW& hnsw = index_->hnsw;
    const int nearest = Descend(query);
    std::vector<int> batch;
    auto expand = [&](int node, auto& offer) {
      size_t begin = 0;
      size_t end = 0;
      hnsw.neighbor_range(node, 0, &begin, &end);
      batch.clear();
      for (size_t j = begin; j < end; ++j) {
        const int v = hnsw.neighbors[j];
        if (v < 0) break;
        if (visited.get(v)) continue;
        visited.set(v);
        batch.push_back(v);
        PrefetchLines(Row8(v), Row8Bytes());
      }
      for (int v : batch) offer(-Similarity8(query, v), v);
    };
    return BestFirst({-Similarity8(query, nearest), nearest}, ef, visited, expand, [](int) {});
  }

  // The same search with neighbour codes: an expansion reads the node's block (links and the
  // links' codes, one contiguous read, prefetched while the node waits its turn) and scores every
  // link with one table-lookup scan; no neighbour's row is read.
  std::vector<Entry> SearchGraphCoded(const float* query, const int8_t* query8, int ef,
                                      faiss::VisitedTable& visited) const {
    std::vector<uint8_t> lut;
    neighbor_codes_.PrepareQuery(query, &lut);
    const int nearest = Descend(query8);
    const int slots = neighbor_codes_.link_slots();
    std::vector<uint16_t> sums((static_cast<size_t>(slots) + kNibbleGroup - 1) / kNibbleGroup *
                               kNibbleGroup);
    auto expand = [&](int node, auto& offer) {
      const int32_t* links = neighbor_codes_.Links(node);
      int count = 0;
      while (count < slots && links[count] >= 0) ++count;
      neighbor_codes_.ScoreLinks(isa_, lut.data(), node, count, sums.data());
      for (int j = 0; j < count; ++j) {
        const int v = links[j];
        if (visited.get(v)) continue;
        visited.set(v);
        offer(-static_cast<int32_t>(sums[j]), v);
      }
    };
    return BestFirst({-neighbor_codes_.Score(lut.data(), nearest), nearest}, ef, visited, expand,
                     [this](int node) { neighbor_codes_.Prefetch(node); });
  }

  // Trains the neighbour codes once the index holds options_.neighbor_codes_min_size vectors (at
  // least 1,024), on up to NeighborCodes::kTrainingVectors live ones, and again each time the
  // index has grown to 4 times the training size until that is kTrainingVectors (a codebook
  // fitted to a small start would otherwise serve the grown index; retraining recodes everything,
  // amortised O(1) per vector added). Then codes the nodes from `first_new` on and brings the
  // blocks up to date with the links (`relinked`: as NeighborCodes::Sync).
  void UpdateNeighborCodes(FaissId first_new, const std::vector<int>* relinked) {
    const auto total = static_cast<size_t>(index_->ntotal);
    const auto dim = static_cast<size_t>(index_->d);
    const size_t live = total - dead_.size();
    const bool train =
        neighbor_codes_.trained()
            ? neighbor_codes_.training_size() < NeighborCodes::kTrainingVectors &&
                  live >= 4 * neighbor_codes_.training_size()
            : static_cast<int64_t>(live) >=
                  std::max<int64_t>(options_.neighbor_codes_min_size, kMinNeighborCodesSize);
    if (train) {
      const size_t wanted = std::min(live, NeighborCodes::kTrainingVectors) * dim;
      std::vector<float> sample;
      sample.reserve(wanted);
      for (size_t node = 0; node < total && sample.size() < wanted; ++node) {
        if (dead_.count(static_cast<FaissId>(node)) > 0) continue;
        const float* v = Vector(static_cast<int>(node));
        sample.insert(sample.end(), v, v + dim);
      }
      // Training fails only when memory does: the index then carries on with the codebook it had
      // (or with the int8 walk), which steers less well but keeps every answer exact.
      if (neighbor_codes_.Train(index_->d, sample.data(), sample.size() / dim).ok()) {
        first_new = 0;
        relinked = nullptr;  // the codes changed everywhere: every block is written anew
      }
    }
    if (!neighbor_codes_.trained()) return;
    const auto first = static_cast<size_t>(first_new);
    if (first < total)
      neighbor_codes_.Encode(first, Vector(static_cast<int>(first)), total - first);
    neighbor_codes_.Sync(index_->hnsw, relinked, {});
  }

  // Walk codes padded to whole cache lines and 64-byte aligned: a 192-D row is 3 lines. They
  // carry no per-row factor (a 4-byte scale made a row 4 lines, or cost a miss in an array apart;
  // either way about a fifth more time per row read, docs/benchmarks.md).
  size_t Row8Bytes() const { return (static_cast<size_t>(index_->d) + 63) / 64 * 64; }
  const int8_t* Row8(int node) const {
    return rows8_.data() + static_cast<size_t>(node) * Row8Bytes();
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
  std::vector<int64_t> labels_;                 // FAISS number -> id
  std::unordered_map<int64_t, FaissId> slots_;  // live id -> FAISS number
  std::unordered_set<FaissId> dead_;            // removed FAISS numbers
  // Walk codes of each vector (QuantizeDirection), Row8Bytes apart.
  std::vector<int8_t, HugePageAllocator<int8_t>> rows8_;
  NeighborCodes neighbor_codes_;  // trained from options_.neighbor_codes_min_size vectors
  // Where KeepWalkArraysOnHugePages left each array (data, capacity).
  std::array<std::pair<const void*, size_t>, 3> huge_page_homes_{};
};

std::unique_ptr<faiss::IndexHNSWFlat> MakeFaiss(int dimensions, const HnswOptions& options) {
  auto index =
      std::make_unique<faiss::IndexHNSWFlat>(dimensions, options.m, faiss::METRIC_INNER_PRODUCT);
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

namespace facet::index {

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
