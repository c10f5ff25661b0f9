// Token buckets keyed by a string (API key id, client address): rate limiting for the service.
//
// Thread-safety: every method may be called concurrently.
#ifndef FACET_SRC_SERVICE_RATE_LIMIT_H_
#define FACET_SRC_SERVICE_RATE_LIMIT_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace facet::service {

using SteadyClock = std::chrono::steady_clock;

class RateLimiter {
 public:
  // `max_keys` bounds memory: when exceeded, buckets that have refilled completely (they carry
  // no state) are dropped; if none has, the whole table is reset.
  explicit RateLimiter(size_t max_keys = 100'000,
                       std::function<SteadyClock::time_point()> clock = SteadyClock::now);

  // Takes one token from `key`'s bucket (rate tokens per second, at most `burst` held; a new
  // bucket starts full). Returns 0 when a token was taken, else the seconds until one will be
  // available (> 0): the caller answers 429 with Retry-After.
  double Acquire(const std::string& key, double rate_per_second, int burst);

  // Like Acquire, without taking a token: 0 when one is available now.
  double Peek(const std::string& key, double rate_per_second, int burst) const;

  size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    SteadyClock::time_point updated;
    double rate = 0;
    int burst = 0;
  };
  void Prune(SteadyClock::time_point now);

  const size_t max_keys_;
  const std::function<SteadyClock::time_point()> clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_RATE_LIMIT_H_
