// The HNSW index (hnsw_index_internal.h): adding, removing and searching. Reading and writing it
// are in hnsw_index_io.cc.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <queue>
#include <unordered_set>

#include "index/hnsw_build.h"
#include "index/hnsw_graph.h"
#include "index/hnsw_index_internal.h"

namespace facet::index {
namespace {

// The fewest vectors neighbour codes are trained on (FAISS's k-means wants 39 per centroid).
constexpr int64_t kMinNeighborCodesSize = 1'024;

std::unique_ptr<faiss::IndexHNSWFlat> MakeFaiss(int dimensions, const HnswOptions& options) {
  auto index =
      std::make_unique<faiss::IndexHNSWFlat>(dimensions, options.m, faiss::METRIC_INNER_PRODUCT);
  index->hnsw.efConstruction = options.ef_construction;
  index->hnsw.efSearch = options.ef_search;
  return index;
}

}  // namespace

Status HnswIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
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

void HnswIndex::Remove(std::span<const int64_t> ids) {
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
    std::fill_n(rows8_.begin() + static_cast<std::ptrdiff_t>(it->second * Row8Bytes()), Row8Bytes(),
                int8_t{0});
    dead_.insert(it->second);
    slots_.erase(it);
  }
  if (!recoded.empty()) {
    const std::vector<int> none;  // no links changed
    neighbor_codes_.Sync(index_->hnsw, &none, recoded);
  }
}

void HnswIndex::Search(std::span<const float> query, int k, std::vector<SearchHit>* hits) const {
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
  const std::vector<Entry> found = coded
                                       ? SearchGraphCoded(query.data(), query8.data(), ef, *visited)
                                       : SearchGraph(query8.data(), ef, *visited);
  visited->advance();
  // The neighbour codes are too coarse to pick the best few: re-rank all they found.
  const size_t rerank =
      coded ? found.size() : std::min(found.size(), static_cast<size_t>(std::max(4 * wanted, 64)));
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

void HnswIndex::Quantize(FaissId first, FaissId count) {
  rows8_.resize(static_cast<size_t>(index_->ntotal) * Row8Bytes());
  for (FaissId node = first; node < first + count; ++node) {
    QuantizeDirection(Vector(static_cast<int>(node)), index_->d,
                      rows8_.data() + static_cast<size_t>(node) * Row8Bytes());
  }
}

int HnswIndex::Descend(const int8_t* query) const {
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

template <typename Expand, typename PrefetchNext>
std::vector<HnswIndex::Entry> HnswIndex::BestFirst(Entry entry, int ef,
                                                   faiss::VisitedTable& visited, Expand&& expand,
                                                   PrefetchNext&& prefetch) {
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

std::vector<HnswIndex::Entry> HnswIndex::SearchGraph(const int8_t* query, int ef,
                                                     faiss::VisitedTable& visited) const {
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

std::vector<HnswIndex::Entry> HnswIndex::SearchGraphCoded(const float* query, const int8_t* query8,
                                                          int ef,
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

void HnswIndex::UpdateNeighborCodes(FaissId first_new, const std::vector<int>* relinked) {
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
  if (first < total) neighbor_codes_.Encode(first, Vector(static_cast<int>(first)), total - first);
  neighbor_codes_.Sync(index_->hnsw, relinked, {});
}

template <typename T>
void HnswIndex::Rehome(std::vector<T>* v, size_t slot) {
  // Pointer and capacity: a reallocation can hand back the address just freed.
  const std::pair<const void*, size_t> home(v->data(), v->capacity());
  if (home == huge_page_homes_[slot]) return;
  MoveToHugePages(v);
  huge_page_homes_[slot] = {v->data(), v->capacity()};
}

void HnswIndex::KeepWalkArraysOnHugePages() {
  faiss::HNSW& hnsw = index_->hnsw;
  Rehome(&hnsw.neighbors, 0);
  Rehome(&hnsw.offsets, 1);
  Rehome(&Storage()->codes, 2);
}

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

}  // namespace facet::index
