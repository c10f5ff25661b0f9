#include <gtest/gtest.h>

#include <set>

#include "detect/anchors.h"
#include "detect/face_detector.h"
#include "detect/nms.h"
#include "detect/tiling.h"

namespace facet::detect {
namespace {

TEST(AnchorsTest, BlazeFaceBackHas896AnchorsInModelOrder) {
  const std::vector<Anchor> anchors = BlazeFaceBackAnchors();
  ASSERT_EQ(anchors.size(), 896u);
  // Level 0: 16x16 cells, 2 anchors each; first cell centre (0.5/16, 0.5/16).
  EXPECT_FLOAT_EQ(anchors[0].cx, 0.5f / 16);
  EXPECT_FLOAT_EQ(anchors[1].cx, 0.5f / 16);
  EXPECT_FLOAT_EQ(anchors[2].cx, 1.5f / 16);
  EXPECT_FLOAT_EQ(anchors[32].cy, 1.5f / 16);  // second row starts after 16 cells x 2
  // Level 1 starts at 512: 8x8 cells, 6 anchors each.
  EXPECT_FLOAT_EQ(anchors[512].cx, 0.5f / 8);
  EXPECT_FLOAT_EQ(anchors[517].cx, 0.5f / 8);
  EXPECT_FLOAT_EQ(anchors[518].cx, 1.5f / 8);
  EXPECT_FLOAT_EQ(anchors[895].cx, 7.5f / 8);
  EXPECT_FLOAT_EQ(anchors[895].cy, 7.5f / 8);
}

TEST(AnchorsTest, DecodeAddsAnchorCentreAndAppliesSigmoid) {
  const Anchor anchor{0.5f, 0.25f};
  float reg[16] = {10, -4, 40, 50};
  for (int k = 0; k < 6; ++k) {
    reg[4 + 2 * k] = static_cast<float>(k);
    reg[5 + 2 * k] = static_cast<float>(-k);
  }
  const Detection d = DecodeAnchor(anchor, reg, 0.0f, 256);
  EXPECT_FLOAT_EQ(d.box.x, 128 + 10 - 20);
  EXPECT_FLOAT_EQ(d.box.y, 64 - 4 - 25);
  EXPECT_FLOAT_EQ(d.box.width, 40);
  EXPECT_FLOAT_EQ(d.box.height, 50);
  EXPECT_FLOAT_EQ(d.score, 0.5f);
  EXPECT_FLOAT_EQ(d.keypoints[3].x, 128 + 3);
  EXPECT_FLOAT_EQ(d.keypoints[3].y, 64 - 3);
  EXPECT_NEAR(DecodeAnchor(anchor, reg, 2.0f, 256).score, 0.8808f, 1e-4);
  EXPECT_GT(DecodeAnchor(anchor, reg, 1e9f, 256).score, 0.999f);  // clamped, no overflow
}

Detection MakeDetection(float x, float y, float w, float h, float score) {
  Detection d;
  d.box = {x, y, w, h};
  d.score = score;
  for (auto& p : d.keypoints) p = {x + w / 2, y + h / 2};
  return d;
}

TEST(NmsTest, IouOfKnownBoxes) {
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0f);
}

TEST(NmsTest, HardKeepsBestOfEachGroup) {
  std::vector<Detection> in = {MakeDetection(0, 0, 10, 10, 0.6f), MakeDetection(1, 0, 10, 10, 0.9f),
                               MakeDetection(50, 50, 10, 10, 0.7f)};
  const auto out = SuppressOverlaps(in, {NmsMethod::kHard, 0.3f});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[0].box.x, 1.0f);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
}

TEST(NmsTest, WeightedAveragesGroupByScore) {
  std::vector<Detection> in = {MakeDetection(0, 0, 10, 10, 0.25f), MakeDetection(2, 0, 10, 10, 0.75f)};
  const auto out = SuppressOverlaps(in, {NmsMethod::kWeighted, 0.3f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].box.x, 0.25f * 0 + 0.75f * 2);
  EXPECT_FLOAT_EQ(out[0].score, 0.75f);
  EXPECT_FLOAT_EQ(out[0].keypoints[0].x, 0.25f * 5 + 0.75f * 7);
}

TEST(NmsTest, EmptyInput) { EXPECT_TRUE(SuppressOverlaps({}, {}).empty()); }

TEST(TilingTest, FastPlanIsWholeFrame) {
  TilingOptions options;
  options.max_levels = 0;
  const auto tiles = PlanTiles(1920, 1080, options);
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0].rect, cv::Rect(0, 0, 1920, 1080));
}

TEST(TilingTest, TilesCoverFrameWithOverlap) {
  TilingOptions options;
  const int w = 1024, h = 768;
  const auto tiles = PlanTiles(w, h, options);
  std::set<int> levels;
  for (const Tile& t : tiles) {
    levels.insert(t.level);
    EXPECT_GE(t.rect.x, 0);
    EXPECT_GE(t.rect.y, 0);
    EXPECT_LE(t.rect.x + t.rect.width, w);
    EXPECT_LE(t.rect.y + t.rect.height, h);
  }
  EXPECT_EQ(levels, (std::set<int>{0, 1, 2}));
  // Every pixel of a level is covered, and any square of 1/4 tile side lies whole in some tile.
  for (int level = 1; level <= 2; ++level) {
    const int side = 1024 >> level;
    const int probe = side / 4;
    for (int y = 0; y + probe <= h; y += 7) {
      for (int x = 0; x + probe <= w; x += 7) {
        const cv::Rect square(x, y, probe, probe);
        bool inside = false;
        for (const Tile& t : tiles) {
          if (t.level == level && (t.rect & square) == square) inside = true;
        }
        ASSERT_TRUE(inside) << "level " << level << " square at " << x << "," << y;
      }
    }
  }
}

TEST(TilingTest, MinFaceSizeStopsUselessLevels) {
  TilingOptions options;
  options.min_face_size = 40;  // level 1 tiles (512) find faces >= 32 px: still useful; level 2 not
  const auto tiles = PlanTiles(1024, 768, options);
  int max_level = 0;
  for (const Tile& t : tiles) max_level = std::max(max_level, t.level);
  EXPECT_EQ(max_level, 1);
}

TEST(TilingTest, TinyAndEmptyImages) {
  EXPECT_TRUE(PlanTiles(0, 10, {}).empty());
  EXPECT_EQ(PlanTiles(100, 50, {}).size(), 1u);  // too small to tile
}

TEST(FaceDetectorTest, CutByInteriorEdge) {
  const cv::Size image(1000, 1000);
  const cv::Rect tile(250, 250, 500, 500);
  EXPECT_FALSE(CutByInteriorTileEdge({300, 300, 50, 50}, tile, image, 0.1f));
  EXPECT_TRUE(CutByInteriorTileEdge({230, 300, 50, 50}, tile, image, 0.1f));
  EXPECT_TRUE(CutByInteriorTileEdge({720, 300, 50, 50}, tile, image, 0.1f));
  // Edges on the image border do not count.
  EXPECT_FALSE(CutByInteriorTileEdge({-10, 10, 50, 50}, cv::Rect(0, 0, 500, 500), image, 0.1f));
}

}  // namespace
}  // namespace facet::detect
