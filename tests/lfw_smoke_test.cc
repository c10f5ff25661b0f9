// LFW smoke test: the first fold of the official pairs (600 pairs), end to end from the raw
// 250x250 images. Skips when ../shared/data/lfw is absent. The full 10-fold protocol is
// `facet eval lfw` (docs/benchmarks.md).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "eval/pairs.h"
#include "eval/verification.h"
#include "facet/engine.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

TEST(LfwSmokeTest, FirstFoldEndToEnd) {
  const fs::path lfw = fs::path(FACET_SHARED_DATA_DIR) / "lfw";
  if (!fs::exists(lfw / "pairs.txt")) GTEST_SKIP() << lfw << " is absent: LFW smoke test skipped";
  auto text = eval::ReadTextFile((lfw / "pairs.txt").string());
  ASSERT_TRUE(text.ok());
  auto pairs = eval::ParseLfwPairs(text.value());
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 6000u);
  std::vector<eval::LabeledPair> fold;
  for (const auto& p : pairs.value()) {
    if (p.fold == 0) fold.push_back(p);
  }
  ASSERT_EQ(fold.size(), 600u);

  auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .num_threads = 1});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  std::vector<std::string> paths;
  for (const auto& p : fold) {
    paths.push_back(p.path_a);
    paths.push_back(p.path_b);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<std::optional<Embedding>> templates(paths.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    auto session = (*engine)->NewSession();
    if (!session.ok()) return;
    for (size_t i = next++; i < paths.size(); i = next++) {
      auto image = LoadImage((lfw / "images" / paths[i]).string());
      if (!image.ok()) continue;
      auto faces = (*session)->Detect(image.value());
      if (!faces.ok() || faces->empty()) continue;
      // The labelled person, as `facet eval lfw` picks it (LFW's images are centred on them).
      auto t = (*session)->Embed(image.value(),
                                 *CentredFace(faces.value(), image->width(), image->height()));
      if (t.ok()) templates[i] = std::move(t).value();
    }
  };
  std::thread other(worker);
  worker();
  other.join();

  std::map<std::string, const std::optional<Embedding>*> by_path;
  for (size_t i = 0; i < paths.size(); ++i) by_path[paths[i]] = &templates[i];
  std::vector<eval::PairOutcome> outcomes;
  size_t failures = 0;
  for (const auto& p : fold) {
    eval::PairOutcome o;
    o.same = p.same;
    const auto& a = *by_path[p.path_a];
    const auto& b = *by_path[p.path_b];
    if (!a || !b) {
      o.failed = true;
      ++failures;
    } else {
      o.similarity = CosineSimilarity(*a, *b).value();
    }
    outcomes.push_back(o);
  }
  const double at_calibrated =
      eval::AccuracyAtThreshold(outcomes, (*engine)->recognizer().threshold_fmr_1e3);
  const double best = eval::BestThresholdAccuracy(outcomes).accuracy;
  std::printf(
      "LFW fold 1: best-threshold accuracy %.4f, at the FMR-1e-3 threshold %.4f, %zu failed\n",
      best, at_calibrated, failures);
  EXPECT_LE(failures, 1u);
  EXPECT_GE(best, 0.985);
  EXPECT_GE(at_calibrated, 0.97);
}

}  // namespace
}  // namespace facet
