#include "service/rate_limit.h"

#include <algorithm>

namespace facet::service {

RateLimiter::RateLimiter(size_t max_keys, std::function<SteadyClock::time_point()> clock)
    : max_keys_(max_keys), clock_(std::move(clock)) {}

double RateLimiter::Acquire(const std::string& key, double rate_per_second, int burst) {
  if (rate_per_second <= 0 || burst <= 0) return 1.0;  // nothing allowed: retry later
  const SteadyClock::time_point now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) Prune(now);
    it = buckets_.emplace(key, Bucket{static_cast<double>(burst), now, rate_per_second, burst})
             .first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min<double>(burst, b.tokens + std::max(0.0, elapsed) * rate_per_second);
  b.updated = now;
  b.rate = rate_per_second;
  b.burst = burst;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate_per_second;
}

double RateLimiter::Peek(const std::string& key, double rate_per_second, int burst) const {
  if (rate_per_second <= 0 || burst <= 0) return 1.0;
  const SteadyClock::time_point now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return 0;
  const Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  const double tokens = std::min<double>(burst, b.tokens + std::max(0.0, elapsed) * rate_per_second);
  return tokens >= 1.0 ? 0 : (1.0 - tokens) / rate_per_second;
}

size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

void RateLimiter::Prune(SteadyClock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    return b.tokens + elapsed * b.rate >= b.burst;
  });
  if (buckets_.size() >= max_keys_) buckets_.clear();
}

}  // namespace facet::service
