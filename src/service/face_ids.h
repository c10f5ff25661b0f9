// Transient faceIds: what Azure Face's detect returns with returnFaceId, held privately.
//
// A faceId names a template kept in this process's memory only (never written anywhere), bound
// to the API key that made it (no other key can use or even probe it), for a short time (at most
// the server's maximum TTL), and at most `capacity` at once: when full, the entries closest to
// expiry are dropped first. Templates are zeroed when dropped. docs/service.md explains why.
//
// Thread-safety: every method may be called concurrently.
#ifndef FACET_SRC_SERVICE_FACE_IDS_H_
#define FACET_SRC_SERVICE_FACE_IDS_H_

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "facet/status.h"
#include "facet/types.h"

namespace facet::service {

class FaceIdStore {
 public:
  using Clock = std::chrono::steady_clock;
  FaceIdStore(size_t capacity, std::chrono::seconds max_ttl,
              std::function<Clock::time_point()> clock = Clock::now);
  ~FaceIdStore();
  FaceIdStore(const FaceIdStore&) = delete;
  FaceIdStore& operator=(const FaceIdStore&) = delete;

  bool enabled() const { return capacity_ > 0 && max_ttl_.count() > 0; }
  std::chrono::seconds max_ttl() const { return max_ttl_; }

  // Stores `embedding` for `owner` for min(ttl, max_ttl) and returns its new random id (a UUID).
  std::string Put(const std::string& owner, Embedding embedding, std::chrono::seconds ttl);
  // The template, if `id` exists, has not expired and belongs to `owner`; else kNotFound (the
  // same answer for all three, so that keys cannot probe each other's ids).
  Result<Embedding> Get(const std::string& owner, const std::string& id);
  size_t size();

 private:
  struct Entry {
    std::string owner;
    Embedding embedding;
    Clock::time_point expires;
  };
  using ExpiryIndex = std::multimap<Clock::time_point, std::string>;
  void EraseLocked(std::unordered_map<std::string, std::pair<Entry, ExpiryIndex::iterator>>::iterator it);
  void DropExpiredLocked(Clock::time_point now);

  const size_t capacity_;
  const std::chrono::seconds max_ttl_;
  const std::function<Clock::time_point()> clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<Entry, ExpiryIndex::iterator>> entries_;
  ExpiryIndex by_expiry_;
};

// A random RFC 4122 version-4 UUID, lowercase.
std::string RandomUuid();

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_FACE_IDS_H_
