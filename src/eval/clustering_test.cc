#include "eval/clustering.h"

#include <gtest/gtest.h>

namespace facet::eval {
namespace {

TEST(ClusteringScoresTest, PerfectAndDegenerate) {
  const std::vector<int> truth = {0, 0, 1, 1, 1, 2};
  auto perfect = ScoreClustering(std::vector<int>{5, 5, 7, 7, 7, 9}, truth);
  ASSERT_TRUE(perfect.ok());
  EXPECT_DOUBLE_EQ(perfect->bcubed.f1, 1.0);
  EXPECT_DOUBLE_EQ(perfect->pairwise.f1, 1.0);
  EXPECT_EQ(perfect->clusters, 3);
  // All singletons: precision 1, BCubed recall = mean(1/|identity|).
  auto singletons = ScoreClustering(std::vector<int>{0, 1, 2, 3, 4, 5}, truth);
  ASSERT_TRUE(singletons.ok());
  EXPECT_DOUBLE_EQ(singletons->bcubed.precision, 1.0);
  EXPECT_NEAR(singletons->bcubed.recall, (0.5 * 2 + (1.0 / 3) * 3 + 1) / 6, 1e-12);
  EXPECT_DOUBLE_EQ(singletons->pairwise.recall, 0.0);
  // One big cluster: recall 1, pairwise precision = 4 true pairs / 15.
  auto one = ScoreClustering(std::vector<int>(6, 0), truth);
  ASSERT_TRUE(one.ok());
  EXPECT_DOUBLE_EQ(one->bcubed.recall, 1.0);
  EXPECT_NEAR(one->pairwise.precision, 4.0 / 15.0, 1e-12);
  EXPECT_NEAR(one->bcubed.precision, (2 * 2.0 / 6 + 3 * 3.0 / 6 + 1.0 / 6) / 6, 1e-12);
  EXPECT_FALSE(ScoreClustering(std::vector<int>{1}, truth).ok());
  EXPECT_FALSE(ScoreClustering(std::vector<int>{}, std::vector<int>{}).ok());
}

}  // namespace
}  // namespace facet::eval
