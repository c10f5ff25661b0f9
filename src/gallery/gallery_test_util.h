// Test helpers for the gallery tests: a temporary store, a fake clock and synthetic templates.
#ifndef FACET_SRC_GALLERY_GALLERY_TEST_UTIL_H_
#define FACET_SRC_GALLERY_GALLERY_TEST_UTIL_H_

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "facet/gallery.h"

namespace facet::testing {

inline RecognizerInfo TestRecognizer() {
  return {"testnet", "testnet@1.0", 192, 0.45f, 0.53f};
}

// Synthetic people: a random unit centre each; faces are noisy unit copies (cosine to the centre
// ~0.93, to another person's ~0 +- 0.07).
class SyntheticPeople {
 public:
  explicit SyntheticPeople(uint64_t seed) : rng_(seed) {}

  Embedding Face(int person, float noise = 0.4f) {
    while (static_cast<int>(centres_.size()) <= person) centres_.push_back(Unit(Random()));
    std::vector<float> v = centres_[person];
    std::normal_distribution<float> normal;
    for (float& x : v) x += noise * normal(rng_) / std::sqrt(192.0f);
    return {TestRecognizer().name, Unit(v), TestRecognizer().version};
  }
  // Someone enrolled nowhere.
  Embedding Stranger() { return {TestRecognizer().name, Unit(Random()), TestRecognizer().version}; }

 private:
  std::vector<float> Random() {
    std::normal_distribution<float> normal;
    std::vector<float> v(192);
    for (float& x : v) x = normal(rng_);
    return v;
  }
  static std::vector<float> Unit(std::vector<float> v) {
    double n = 0;
    for (float x : v) n += double{x} * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    return v;
  }
  std::mt19937_64 rng_;
  std::vector<std::vector<float>> centres_;
};

// A clock the test moves by hand.
class FakeClock {
 public:
  FakeClock() : ms_(1'800'000'000'000) {}
  TimePoint Now() const {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::milliseconds(ms_.load())));
  }
  void Advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  std::function<TimePoint()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> ms_;
};

inline std::string TempDir(const std::string& prefix) {
  std::random_device device;
  const auto dir = std::filesystem::temp_directory_path() /
                   (prefix + std::to_string(device()) + std::to_string(device()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string HashOf(int n) {
  std::string s = std::to_string(n);
  return Sha256Hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

}  // namespace facet::testing

#endif  // FACET_SRC_GALLERY_GALLERY_TEST_UTIL_H_
