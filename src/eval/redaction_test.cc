#include "eval/redaction.h"

#include <gtest/gtest.h>

namespace facet::eval {
namespace {

TEST(RedactionRecallTest, CountsFacesCoveredAtLeast90Percent) {
  RedactionRecall recall;
  const std::vector<Box> faces = {{0, 0, 10, 10}, {100, 0, 20, 20}, {200, 0, 40, 40}, {300, 0, 200, 200}};
  recall.AddImage(faces, {0.95f, 0.9f, 0.89f, 1.0f}, {});
  EXPECT_EQ(recall.all.faces, 4);
  EXPECT_EQ(recall.all.redacted, 3);
  EXPECT_EQ(recall.at_least_16px.faces, 3);
  EXPECT_EQ(recall.at_least_16px.redacted, 2);
  EXPECT_DOUBLE_EQ(recall.at_least_16px.recall(), 2.0 / 3.0);
  EXPECT_EQ(recall.by_height[0].faces, 1);  // 10 px
  EXPECT_EQ(recall.by_height[1].faces, 1);  // 20 px
  EXPECT_EQ(recall.by_height[2].faces, 1);  // 40 px
  EXPECT_EQ(recall.by_height[2].redacted, 0);
  EXPECT_EQ(recall.by_height[4].faces, 1);  // 200 px
}

TEST(RedactionRecallTest, MissingCoverageCountsAsMissed) {
  RedactionRecall recall;
  recall.AddImage({{0, 0, 20, 20}, {50, 0, 20, 20}}, {}, {});  // e.g. the image failed to load
  EXPECT_EQ(recall.all.faces, 2);
  EXPECT_EQ(recall.all.redacted, 0);
  EXPECT_DOUBLE_EQ(RedactionTally{}.recall(), 0.0);
}

TEST(RedactionRecallTest, RegionsWithoutAnAnnotatedFace) {
  RedactionRecall recall;
  recall.AddImage({{10, 10, 20, 20}}, {1.0f}, {{0, 0, 40, 40}, {100, 100, 40, 40}, {22, 22, 5, 5}});
  EXPECT_EQ(recall.regions, 3);
  EXPECT_EQ(recall.regions_without_face, 2);  // the far one, and the one off the face's centre
}

}  // namespace
}  // namespace facet::eval
