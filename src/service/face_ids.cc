#include "service/face_ids.h"

#include <sodium.h>

#include <algorithm>

namespace facet::service {

std::string RandomUuid() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

FaceIdStore::FaceIdStore(size_t capacity, std::chrono::seconds max_ttl,
                         std::function<Clock::time_point()> clock)
    : capacity_(capacity), max_ttl_(max_ttl), clock_(std::move(clock)) {}

FaceIdStore::~FaceIdStore() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, entry] : entries_) {
    std::vector<float>& v = entry.first.embedding.values;
    sodium_memzero(v.data(), v.size() * sizeof(float));
  }
}

void FaceIdStore::EraseLocked(
    std::unordered_map<std::string, std::pair<Entry, ExpiryIndex::iterator>>::iterator it) {
  std::vector<float>& v = it->second.first.embedding.values;
  sodium_memzero(v.data(), v.size() * sizeof(float));
  by_expiry_.erase(it->second.second);
  entries_.erase(it);
}

void FaceIdStore::DropExpiredLocked(Clock::time_point now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    EraseLocked(entries_.find(by_expiry_.begin()->second));
  }
}

std::string FaceIdStore::Put(const std::string& owner, Embedding embedding,
                             std::chrono::seconds ttl) {
  if (!enabled()) return "";
  const Clock::time_point now = clock_();
  const auto expires = now + std::clamp(ttl, std::chrono::seconds(1), max_ttl_);
  std::string id = RandomUuid();
  std::lock_guard<std::mutex> lock(mutex_);
  DropExpiredLocked(now);
  while (entries_.size() >= capacity_ && !by_expiry_.empty()) {
    EraseLocked(entries_.find(by_expiry_.begin()->second));
  }
  auto pos = by_expiry_.emplace(expires, id);
  entries_.emplace(id, std::make_pair(Entry{owner, std::move(embedding), expires}, pos));
  return id;
}

Result<Embedding> FaceIdStore::Get(const std::string& owner, const std::string& id) {
  const Clock::time_point now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  DropExpiredLocked(now);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.first.owner != owner) {
    return Status::NotFound("faceId '" + id + "' is unknown or has expired");
  }
  return it->second.first.embedding;
}

size_t FaceIdStore::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  DropExpiredLocked(clock_());
  return entries_.size();
}

}  // namespace facet::service
