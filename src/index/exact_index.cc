// Exact brute-force index, float32 or int8: the default for small galleries and the oracle for
// HNSW.
#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "index/bytes.h"
#include "index/kernels.h"
#include "index/top_k.h"
#include "index/vector_index.h"

namespace facet::index {
namespace {

constexpr size_t kBlockRows = 512;  // rows scored per kernel call (scores stay in L1)

class ExactIndex final : public VectorIndex {
 public:
  ExactIndex(int dimensions, IndexKind kind)
      : dimensions_(dimensions), kind_(kind), isa_(DetectKernelIsa()) {}

  IndexKind kind() const override { return kind_; }
  int dimensions() const override { return dimensions_; }
  size_t size() const override { return ids_.size(); }
  bool Contains(int64_t id) const override { return slots_.count(id) > 0; }
  size_t MemoryBytes() const override {
    return ids_.size() * (sizeof(int64_t) + sizeof(float) + RowBytes()) +
           slots_.size() * (sizeof(int64_t) + sizeof(size_t) + 2 * sizeof(void*));
  }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    if (vectors.size() != ids.size() * static_cast<size_t>(dimensions_)) {
      return Status::InvalidArgument("vector count does not match id count");
    }
    std::unordered_set<int64_t> batch;
    for (int64_t id : ids) {
      if (slots_.count(id) > 0 || !batch.insert(id).second) {
        return Status::InvalidArgument("id " + std::to_string(id) + " is already indexed");
      }
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      const float* v = vectors.data() + i * dimensions_;
      slots_[ids[i]] = ids_.size();
      ids_.push_back(ids[i]);
      if (kind_ == IndexKind::kExactF32) {
        floats_.insert(floats_.end(), v, v + dimensions_);
      } else {
        const size_t offset = codes_.size();
        codes_.resize(offset + dimensions_);
        scales_.push_back(QuantizeI8(v, dimensions_, codes_.data() + offset));
      }
    }
    return Status::Ok();
  }

  void Remove(std::span<const int64_t> ids) override {
    for (int64_t id : ids) {
      auto it = slots_.find(id);
      if (it == slots_.end()) continue;
      const size_t slot = it->second;
      const size_t last = ids_.size() - 1;
      slots_.erase(it);
      if (slot != last) {
        ids_[slot] = ids_[last];
        slots_[ids_[slot]] = slot;
      }
      ids_.pop_back();
      const size_t d = dimensions_;
      if (kind_ == IndexKind::kExactF32) {
        std::memcpy(&floats_[slot * d], &floats_[last * d], d * sizeof(float));
        std::fill(floats_.begin() + static_cast<std::ptrdiff_t>(last * d), floats_.end(), 0.0f);
        floats_.resize(last * d);
      } else {
        std::memcpy(&codes_[slot * d], &codes_[last * d], d);
        scales_[slot] = scales_[last];
        std::fill(codes_.begin() + static_cast<std::ptrdiff_t>(last * d), codes_.end(), int8_t{0});
        codes_.resize(last * d);
        scales_.pop_back();
      }
    }
  }

  void SetEfSearch(int /*ef_search*/) override {}

  void Search(std::span<const float> query, int k, std::vector<SearchHit>* hits) const override {
    hits->clear();
    if (k <= 0 || ids_.empty() || query.size() != static_cast<size_t>(dimensions_)) return;
    TopK top(static_cast<size_t>(k));
    std::array<float, kBlockRows> scores{};
    const size_t n = ids_.size();
    const size_t d = dimensions_;
    if (kind_ == IndexKind::kExactF32) {
      for (size_t start = 0; start < n; start += kBlockRows) {
        const size_t count = std::min(kBlockRows, n - start);
        DotF32(isa_, query.data(), floats_.data() + start * d, count, dimensions_, scores.data());
        top.PushBlock(scores.data(), count, start);
      }
    } else {
      std::vector<int8_t> q(d);
      const float q_scale = QuantizeI8(query.data(), dimensions_, q.data());
      std::array<int32_t, kBlockRows> dots{};
      for (size_t start = 0; start < n; start += kBlockRows) {
        const size_t count = std::min(kBlockRows, n - start);
        DotI8(isa_, q.data(), codes_.data() + start * d, count, dimensions_, dots.data());
        for (size_t i = 0; i < count; ++i) {
          scores[i] = static_cast<float>(dots[i]) * scales_[start + i] * q_scale;
        }
        top.PushBlock(scores.data(), count, start);
      }
    }
    for (const auto& [score, slot] : top.Sorted()) hits->push_back({ids_[slot], score});
  }

  Status Serialize(std::vector<uint8_t>* out) const override {
    ByteWriter w(out);
    w.Put<uint64_t>(ids_.size());
    w.PutArray<int64_t>(ids_);
    if (kind_ == IndexKind::kExactF32) {
      w.PutArray<float>(floats_);
    } else {
      w.PutArray<float>(scales_);
      w.PutArray<int8_t>(codes_);
    }
    return Status::Ok();
  }

  Status Deserialize(std::span<const uint8_t> bytes) {
    ByteReader r(bytes);
    uint64_t count = 0;
    const size_t d = dimensions_;
    bool ok = r.Get(&count) && r.GetArray(count, &ids_);
    if (ok && kind_ == IndexKind::kExactF32) {
      ok = count <= SIZE_MAX / d && r.GetArray(count * d, &floats_);
    } else if (ok) {
      ok = count <= SIZE_MAX / d && r.GetArray(count, &scales_) && r.GetArray(count * d, &codes_);
    }
    if (!ok || !r.AtEnd()) return Status::CorruptData("index data is truncated or malformed");
    slots_.reserve(count);
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (!slots_.emplace(ids_[i], i).second) {
        return Status::CorruptData("index data repeats id " + std::to_string(ids_[i]));
      }
    }
    return Status::Ok();
  }

 private:
  size_t RowBytes() const {
    return kind_ == IndexKind::kExactF32 ? dimensions_ * sizeof(float) : dimensions_;
  }

  const int dimensions_;
  const IndexKind kind_;
  const KernelIsa isa_;
  std::vector<int64_t> ids_;  // slot -> id
  std::unordered_map<int64_t, size_t> slots_;
  std::vector<float> floats_;  // kExactF32: slot-major rows
  std::vector<int8_t> codes_;  // kExactInt8: slot-major rows
  std::vector<float> scales_;  // kExactInt8: per-row dequantisation factor
};

}  // namespace

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kExactF32: return "exact-f32";
    case IndexKind::kExactInt8: return "exact-int8";
    case IndexKind::kHnsw: return "hnsw";
  }
  return "unknown";
}

std::unique_ptr<VectorIndex> NewExactIndex(int dimensions, IndexKind kind) {
  return std::make_unique<ExactIndex>(dimensions, kind);
}

Result<std::unique_ptr<VectorIndex>> DeserializeExactIndex(IndexKind kind, int dimensions,
                                                           std::span<const uint8_t> bytes) {
  auto index = std::make_unique<ExactIndex>(dimensions, kind);
  FACET_RETURN_IF_ERROR(index->Deserialize(bytes));
  return std::unique_ptr<VectorIndex>(std::move(index));
}

}  // namespace facet::index
