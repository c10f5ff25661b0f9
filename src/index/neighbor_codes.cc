#include "index/neighbor_codes.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

namespace facet::index {
namespace {

constexpr int kCentroids = 16;  // 4-bit codes

}  // namespace

int NeighborCodes::SubspacesFor(int dimensions) {
  int best = 1;
  for (int s = 1; s <= std::min(dimensions / 6, kMaxNibbleSubspaces); ++s) {
    if (dimensions % s == 0) best = s;
  }
  return best;
}

Status NeighborCodes::Train(int dimensions, const float* vectors, size_t count) {
  if (dimensions <= 0 || count < static_cast<size_t>(kCentroids)) {
    return Status::InvalidArgument("neighbour codes need at least 16 training vectors");
  }
  try {
    auto quantizer = std::make_unique<faiss::ProductQuantizer>(
        static_cast<size_t>(dimensions), static_cast<size_t>(SubspacesFor(dimensions)), 4);
    quantizer->verbose = false;
    quantizer->train(count, vectors);
    quantizer_ = std::move(quantizer);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("training the neighbour codes failed: ") + e.what());
  }
  subspaces_ = static_cast<int>(quantizer_->M);
  training_size_ = count;
  ClearCodes();
  return Status::Ok();
}

void NeighborCodes::Encode(size_t first, const float* vectors, size_t count) {
  const size_t m_count = static_cast<size_t>(subspaces_);
  if (codes_.size() < (first + count) * m_count) codes_.resize((first + count) * m_count);
  std::vector<uint8_t> packed(count * quantizer_->code_size);
  quantizer_->compute_codes(vectors, packed.data(), count);
  // FAISS packs 4-bit codes least significant bits first: subspace m in byte m / 2.
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* in = packed.data() + i * quantizer_->code_size;
    uint8_t* out = codes_.data() + (first + i) * m_count;
    for (size_t m = 0; m < m_count; ++m) out[m] = (in[m / 2] >> (4 * (m % 2))) & 15;
  }
}

void NeighborCodes::ClearCodes() {
  codes_.clear();
  blocks_.clear();
  link_slots_ = 0;
  block_bytes_ = 0;
}

void NeighborCodes::SetLayout(int link_slots) {
  link_slots_ = link_slots;
  const size_t groups = (static_cast<size_t>(link_slots) + kNibbleGroup - 1) / kNibbleGroup;
  const size_t bytes = static_cast<size_t>(link_slots) * sizeof(int32_t) +
                       groups * 16 * static_cast<size_t>(subspaces_);
  block_bytes_ = (bytes + 63) / 64 * 64;
}

void NeighborCodes::WriteBlock(const faiss::HNSW& hnsw, size_t node) {
  size_t begin = 0;
  size_t end = 0;
  hnsw.neighbor_range(static_cast<faiss::HNSW::storage_idx_t>(node), 0, &begin, &end);
  const int32_t* links = hnsw.neighbors.data() + begin;
  uint8_t* block = blocks_.data() + node * block_bytes_;
  std::memcpy(block, links, static_cast<size_t>(link_slots_) * sizeof(int32_t));
  int count = 0;
  while (count < link_slots_ && links[count] >= 0) ++count;
  uint8_t* groups = block + static_cast<size_t>(link_slots_) * sizeof(int32_t);
  std::array<uint8_t, static_cast<size_t>(kNibbleGroup) * kMaxNibbleSubspaces> gathered{};
  const auto m_count = static_cast<size_t>(subspaces_);
  for (int first = 0; first < link_slots_; first += kNibbleGroup) {
    const int n = std::clamp(count - first, 0, kNibbleGroup);
    for (int i = 0; i < n; ++i) {
      std::memcpy(gathered.data() + static_cast<size_t>(i) * m_count,
                  codes_.data() + static_cast<size_t>(links[first + i]) * m_count, m_count);
    }
    PackNibbleGroup(gathered.data(), n, subspaces_,
                    groups + static_cast<size_t>(first / kNibbleGroup) * 16 * m_count);
  }
}

void NeighborCodes::Sync(const faiss::HNSW& hnsw, const std::vector<int>* relinked,
                         std::span<const int> recoded) {
  const size_t nodes = hnsw.levels.size();
  const int slots = hnsw.nb_neighbors(0);
  size_t written = block_bytes_ == 0 ? 0 : blocks_.size() / block_bytes_;
  if (slots != link_slots_) {
    SetLayout(slots);
    written = 0;
  }
  blocks_.resize(nodes * block_bytes_);
#pragma omp parallel for schedule(dynamic, 4096) if (nodes - written > 100'000)
  for (size_t node = written; node < nodes; ++node) WriteBlock(hnsw, node);
  if (relinked != nullptr) {
    for (int node : *relinked) {
      if (static_cast<size_t>(node) < written) WriteBlock(hnsw, static_cast<size_t>(node));
    }
    if (recoded.empty()) return;
  }
  std::vector<uint8_t> is_recoded;
  if (!recoded.empty()) {
    is_recoded.assign(nodes, 0);
    for (int node : recoded) is_recoded[static_cast<size_t>(node)] = 1;
  }
  const size_t link_bytes = static_cast<size_t>(slots) * sizeof(int32_t);
#pragma omp parallel for schedule(dynamic, 4096) if (written > 100'000)
  for (size_t node = 0; node < written; ++node) {
    size_t begin = 0;
    size_t end = 0;
    hnsw.neighbor_range(static_cast<faiss::HNSW::storage_idx_t>(node), 0, &begin, &end);
    const int32_t* links = hnsw.neighbors.data() + begin;
    bool stale =
        relinked == nullptr && std::memcmp(links, Block(static_cast<int>(node)), link_bytes) != 0;
    for (int j = 0; !stale && !is_recoded.empty() && j < slots && links[j] >= 0; ++j) {
      stale = is_recoded[static_cast<size_t>(links[j])] != 0;
    }
    if (stale) WriteBlock(hnsw, node);
  }
}

void NeighborCodes::PrepareQuery(const float* query, std::vector<uint8_t>* lut) const {
  const size_t entries = static_cast<size_t>(subspaces_) * kCentroids;
  std::vector<float> table(entries);
  quantizer_->compute_inner_prod_table(query, table.data());
  lut->assign(entries, 0);
  // A query that is not a number anywhere: every score equal.
  if (!std::all_of(table.begin(), table.end(), [](float t) { return std::isfinite(t); })) return;
  // One step for all subspaces (their sums must stay comparable): the widest subspace spans
  // 0..255, each subspace starts at its own minimum (a constant offset per query).
  std::array<float, kMaxNibbleSubspaces> lows{};
  float widest = 0;
  for (int m = 0; m < subspaces_; ++m) {
    const auto row = std::span(table).subspan(static_cast<size_t>(m) * kCentroids, kCentroids);
    const auto [low, high] = std::minmax_element(row.begin(), row.end());
    lows[static_cast<size_t>(m)] = *low;
    widest = std::max(widest, *high - *low);
  }
  if (!(widest > 0)) return;  // a zero query: every score equal
  const float per_step = 255.0f / widest;
  for (int m = 0; m < subspaces_; ++m) {
    for (int c = 0; c < kCentroids; ++c) {
      const size_t entry = static_cast<size_t>(m) * kCentroids + c;
      const float step = std::nearbyint((table[entry] - lows[static_cast<size_t>(m)]) * per_step);
      (*lut)[entry] = static_cast<uint8_t>(std::clamp(step, 0.0f, 255.0f));
    }
  }
}

int NeighborCodes::Score(const uint8_t* lut, int node) const {
  const uint8_t* code = codes_.data() + static_cast<size_t>(node) * subspaces_;
  int sum = 0;
  for (int m = 0; m < subspaces_; ++m) sum += lut[kCentroids * m + code[m]];
  return sum;
}

void NeighborCodes::ScoreLinks(KernelIsa isa, const uint8_t* lut, int node, int count,
                               uint16_t* sums) const {
  const uint8_t* groups = Block(node) + static_cast<size_t>(link_slots_) * sizeof(int32_t);
  for (int first = 0; first < count; first += kNibbleGroup) {
    ScanNibbleGroup(isa, lut, groups + static_cast<size_t>(first / kNibbleGroup) * 16 * subspaces_,
                    subspaces_, sums + first);
  }
}

void NeighborCodes::Prefetch(int node) const { PrefetchLines(Block(node), block_bytes_); }

size_t NeighborCodes::MemoryBytes() const {
  return codes_.size() + blocks_.size() +
         (quantizer_ ? quantizer_->centroids.size() * sizeof(float) : 0);
}

void NeighborCodes::Serialize(ByteWriter* w) const {
  if (!trained()) {
    w->Put<uint32_t>(0);
    return;
  }
  w->Put<uint32_t>(static_cast<uint32_t>(subspaces_));
  w->Put<uint64_t>(training_size_);
  w->PutArray<float>(quantizer_->centroids);
}

size_t NeighborCodes::SerializedBytes() const {
  if (!trained()) return sizeof(uint32_t);
  return sizeof(uint32_t) + sizeof(uint64_t) + quantizer_->centroids.size() * sizeof(float);
}

bool NeighborCodes::Restore(int dimensions, ByteReader* r) {
  uint32_t subspaces = 0;
  if (!r->Get(&subspaces)) return false;
  quantizer_.reset();
  ClearCodes();
  if (subspaces == 0) return true;
  uint64_t training_size = 0;
  if (static_cast<int>(subspaces) != SubspacesFor(dimensions) || !r->Get(&training_size) ||
      training_size < kCentroids) {
    return false;
  }
  std::vector<float> centroids;
  if (!r->GetArray(static_cast<size_t>(dimensions) * kCentroids, &centroids)) return false;
  for (float c : centroids) {
    if (!std::isfinite(c)) return false;
  }
  quantizer_ = std::make_unique<faiss::ProductQuantizer>(static_cast<size_t>(dimensions),
                                                         static_cast<size_t>(subspaces), 4);
  quantizer_->centroids = std::move(centroids);
  subspaces_ = static_cast<int>(subspaces);
  training_size_ = training_size;
  return true;
}

}  // namespace facet::index
