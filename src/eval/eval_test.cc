#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "eval/pairs.h"
#include "eval/quality_edc.h"
#include "eval/verification.h"
#include "eval/wider.h"

namespace facet::eval {
namespace {

// Images 0..3 with qualities 0.9, 0.1, 0.8, 0.7: discarding 25 % drops image 1 and the two
// genuine pairs using it, one of them the false non-match (similarity below 0.5) and the other a
// failure to detect (always an error).
TEST(QualityEdcTest, DiscardsLowestQualityImagesAndTheirPairs) {
  const std::vector<EdcPair> pairs = {
      {.image_a = 0, .image_b = 1, .same = true, .similarity = 0.3f},
      {.image_a = 1, .image_b = 2, .same = true, .failed = true},
      {.image_a = 0, .image_b = 2, .same = true, .similarity = 0.9f},
      {.image_a = 2, .image_b = 3, .same = true, .similarity = 0.4f},
      {.image_a = 0, .image_b = 3, .same = false, .similarity = 0.6f},
  };
  const auto points = ErrorVersusDiscard(pairs, {0.9f, 0.1f, 0.8f, 0.7f}, 0.5, {0.0, 0.25, 0.5});
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].genuine_pairs, 4);
  EXPECT_EQ(points[0].false_non_matches, 3);
  EXPECT_DOUBLE_EQ(points[0].fmr, 1.0);
  EXPECT_EQ(points[1].genuine_pairs, 2);
  EXPECT_EQ(points[1].false_non_matches, 1);
  EXPECT_DOUBLE_EQ(points[1].fnmr, 0.5);
  // 50 %: images 1 and 3 go; only the pair 0-2 (a match) is left.
  EXPECT_EQ(points[2].genuine_pairs, 1);
  EXPECT_EQ(points[2].false_non_matches, 0);
  EXPECT_EQ(points[2].impostor_pairs, 0);
}

TEST(PairsTest, ParsesLfwFormat) {
  const std::string text =
      "2\t1\n"
      "Abel_Pacheco\t1\t4\n"
      "Abdel_Madi_Shabneh\t1\tDean_Barker\t1\n"
      "Akhmed_Zakayev\t1\t3\n"
      "A\t2\tB\t12\n";
  auto pairs = ParseLfwPairs(text);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[0].path_a, "Abel_Pacheco/Abel_Pacheco_0001.jpg");
  EXPECT_EQ((*pairs)[0].path_b, "Abel_Pacheco/Abel_Pacheco_0004.jpg");
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_FALSE((*pairs)[1].same);
  EXPECT_EQ((*pairs)[1].path_b, "Dean_Barker/Dean_Barker_0001.jpg");
  EXPECT_EQ((*pairs)[2].fold, 1);
  EXPECT_EQ((*pairs)[3].path_b, "B/B_0012.jpg");
}

TEST(PairsTest, RejectsMalformedLfwWithLineNumber) {
  auto short_file = ParseLfwPairs("1\t2\nA\t1\t2\n");
  EXPECT_FALSE(short_file.ok());
  auto bad = ParseLfwPairs("1\t1\nA\t1\nB\t1\tC\t2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseLfwPairs("").ok());
  EXPECT_FALSE(ParseLfwPairs("ten 300\n").ok());
}

TEST(PairsTest, GenericListSkipsCommentsAndRejectsBadLabels) {
  auto pairs = ParsePairList("# comment\n\n1 a.jpg b.jpg\n0\tc.png\td.png\n");
  ASSERT_TRUE(pairs.ok());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_EQ((*pairs)[1].path_b, "d.png");
  EXPECT_FALSE(ParsePairList("2 a b\n").ok());
  EXPECT_FALSE(ParsePairList("1 a\n").ok());
  EXPECT_FALSE(ParsePairList("# nothing\n").ok());
}

PairOutcome P(float s, bool same, int fold = 0, bool failed = false) { return {s, same, failed, fold}; }

TEST(VerificationTest, AccuracyAndBestThreshold) {
  const std::vector<PairOutcome> o = {P(0.9f, true), P(0.8f, true), P(0.3f, true), P(0.5f, false),
                                      P(0.1f, false), P(0.2f, false)};
  EXPECT_DOUBLE_EQ(AccuracyAtThreshold(o, 0.6), 5.0 / 6);
  EXPECT_DOUBLE_EQ(AccuracyAtThreshold(o, 0.25), 5.0 / 6);
  const BestThreshold best = BestThresholdAccuracy(o);
  EXPECT_DOUBLE_EQ(best.accuracy, 5.0 / 6);
  EXPECT_DOUBLE_EQ(AccuracyAtThreshold(o, best.threshold), best.accuracy);
}

TEST(VerificationTest, FailedPairsAreAlwaysErrors) {
  std::vector<PairOutcome> o = {P(0.9f, true), P(0.1f, false), P(0.0f, true, 0, true),
                                P(0.0f, false, 0, true)};
  EXPECT_DOUBLE_EQ(BestThresholdAccuracy(o).accuracy, 0.5);
  for (double t : {-1.0, 0.0, 0.5, 2.0}) EXPECT_LE(AccuracyAtThreshold(o, t), 0.5);
}

TEST(VerificationTest, TenFoldOnSeparableDataIsPerfectAndUsesOtherFolds) {
  std::vector<PairOutcome> o;
  for (int fold = 0; fold < 10; ++fold) {
    for (int i = 0; i < 10; ++i) {
      o.push_back(P(0.6f + 0.01f * i, true, fold));
      o.push_back(P(0.1f + 0.01f * i, false, fold));
    }
  }
  const TenFoldResult r = CrossValidatedAccuracy(o);
  ASSERT_EQ(r.fold_accuracy.size(), 10u);
  EXPECT_DOUBLE_EQ(r.mean_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(r.std_accuracy, 0.0);
  // One fold with all labels flipped: its threshold comes from the others, so it scores 0.
  for (PairOutcome& p : o) {
    if (p.fold == 3) p.same = !p.same;
  }
  const TenFoldResult flipped = CrossValidatedAccuracy(o);
  EXPECT_DOUBLE_EQ(flipped.fold_accuracy[3], 0.0);
  EXPECT_NEAR(flipped.mean_accuracy, 0.9, 1e-12);
  EXPECT_NEAR(flipped.std_accuracy, std::sqrt((9 * 0.01 + 0.81) / 9), 1e-9);
}

TEST(VerificationTest, TarAtFar) {
  std::vector<PairOutcome> o;
  for (int i = 0; i < 100; ++i) o.push_back(P(i / 100.0f, false));  // impostors 0.00 .. 0.99
  for (int i = 0; i < 10; ++i) o.push_back(P(0.955f + 0.001f * i, true));
  o.push_back(P(0.0f, true, 0, true));  // a failed genuine pair: rejected
  const TarAtFarResult r = TarAtFar(o, 0.05);  // 5 impostors may pass: threshold = 6th highest 0.94
  EXPECT_TRUE(r.resolvable);
  EXPECT_NEAR(r.threshold, 0.94, 1e-6);
  EXPECT_NEAR(r.far_achieved, 0.05, 1e-9);
  EXPECT_NEAR(r.tar, 10.0 / 11, 1e-9);
  EXPECT_FALSE(TarAtFar(o, 1e-3).resolvable);
  const auto roc = RocCurve(o, 20);
  ASSERT_FALSE(roc.empty());
  for (size_t i = 1; i < roc.size(); ++i) EXPECT_GE(roc[i].tar, roc[i - 1].tar);
}

TEST(VerificationTest, CalibrationOverAllPairs) {
  // 4 identities x 5 unit vectors each around distinct axes in 8-D.
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 0.1f);
  std::vector<float> rows;
  std::vector<int> labels;
  for (int id = 0; id < 4; ++id) {
    for (int k = 0; k < 5; ++k) {
      std::vector<float> v(8);
      for (float& x : v) x = noise(rng);
      v[id] += 1;
      float n = 0;
      for (float x : v) n += x * x;
      for (float& x : v) rows.push_back(x / std::sqrt(n));
      labels.push_back(id);
    }
  }
  const CalibrationResult r = CalibrateThresholds(rows, 20, 8, labels, {0.1, 0.0});
  EXPECT_EQ(r.genuine_pairs, 4 * 10);
  EXPECT_EQ(r.impostor_pairs, 190 - 40);
  ASSERT_EQ(r.points.size(), 2u);
  // At FMR 0 the threshold is the highest impostor similarity; genuine pairs are well above it.
  EXPECT_LT(r.points[1].threshold, 0.5);
  EXPECT_DOUBLE_EQ(r.points[1].fnmr, 0.0);
  EXPECT_LE(r.points[0].threshold, r.points[1].threshold);
}

WiderImage MakeImage(std::vector<Box> faces, std::vector<int> keep) {
  WiderImage image;
  image.path = "x.jpg";
  image.faces = std::move(faces);
  image.keep = {keep, keep, keep};
  return image;
}

TEST(WiderTest, PerfectDetectionsGiveApOne) {
  const std::vector<WiderImage> images = {MakeImage({{10, 10, 50, 50}, {100, 10, 40, 40}}, {0, 1}),
                                          MakeImage({{0, 0, 30, 30}}, {0})};
  const std::vector<std::vector<ScoredBox>> dets = {
      {{{10, 10, 50, 50}, 0.9f}, {{100, 10, 40, 40}, 0.8f}}, {{{1, 1, 30, 30}, 0.7f}}};
  EXPECT_NEAR(WiderAveragePrecision(images, dets, kEasy), 1.0, 1e-9);
}

TEST(WiderTest, MissesFalsePositivesAndIgnoredFaces) {
  // Face 0 counts, face 1 is ignored at this level, face 2 counts and is missed.
  const std::vector<WiderImage> images = {
      MakeImage({{10, 10, 50, 50}, {100, 10, 40, 40}, {300, 300, 20, 20}}, {0, 2})};
  // Best detection hits face 0; the second hits the ignored face (neither TP nor FP).
  const std::vector<std::vector<ScoredBox>> ignored = {
      {{{10, 10, 50, 50}, 0.9f}, {{100, 10, 40, 40}, 0.8f}}};
  // Recall 1/2 at precision 1: AP = 0.5.
  EXPECT_NEAR(WiderAveragePrecision(images, ignored, kEasy), 0.5, 1e-9);
  // A false positive scoring above the true one: precision 1/2 at recall 1/2: AP = 0.25.
  const std::vector<std::vector<ScoredBox>> false_positive = {
      {{{500, 500, 30, 30}, 0.95f}, {{10, 10, 50, 50}, 0.5f}}};
  EXPECT_NEAR(WiderAveragePrecision(images, false_positive, kEasy), 0.25, 1e-9);
  // No detections at all.
  EXPECT_NEAR(WiderAveragePrecision(images, {{}}, kEasy), 0.0, 1e-12);
}

TEST(WiderTest, ParsesGroundTruthAndKeepLists) {
  const std::string gt =
      "a/1.jpg\n2\n1 2 3 4 0 0 0 0 0 0 \n5 6 7 8 0 0 0 0 0 0 \n"
      "b/2.jpg\n0\n0 0 0 0 0 0 0 0 0 0 \n";
  auto images = ParseWider(gt, {"a/1.jpg 1 2\nb/2.jpg \n", "a/1.jpg 2\n", "# header\na/1.jpg 1 2\n"});
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].faces.size(), 2u);
  EXPECT_FLOAT_EQ((*images)[0].faces[1].width, 7);
  EXPECT_TRUE((*images)[1].faces.empty());
  EXPECT_EQ((*images)[0].keep[kMedium], std::vector<int>{1});
  EXPECT_FALSE(ParseWider("a.jpg\n2\n1 2 3 4\n", {"", "", ""}).ok());
  EXPECT_FALSE(ParseWider(gt, {"a/1.jpg 3\n", "", ""}).ok());
  EXPECT_FALSE(ParseWider(gt, {"zzz.jpg 1\n", "", ""}).ok());
  EXPECT_FALSE(ParseWider("", {"", "", ""}).ok()) << "no image is not a result of AP 0";
}

}  // namespace
}  // namespace facet::eval
