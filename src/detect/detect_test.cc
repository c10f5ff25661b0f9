#include <gtest/gtest.h>

#include <cmath>
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

TEST(AnchorsTest, RetinaFaceDecodesOneAnchorAtItsCell) {
  // A 2x3 map at stride 16; only anchor 1 of cell (y 1, x 2) is a face.
  const int h = 2, w = 3;
  std::vector<float> cls(static_cast<size_t>(h * w * 4), 0.0f);
  std::vector<float> box(static_cast<size_t>(h * w * 8), 0.0f);
  std::vector<float> marks(static_cast<size_t>(h * w * 20), 0.0f);
  const size_t cell = 1 * w + 2;
  cls[cell * 4 + 1] = -1.0f;  // background of anchor 1
  cls[cell * 4 + 3] = 1.0f;   // face of anchor 1: margin 2, probability sigmoid(2)
  box[cell * 8 + 4] = 0.5f;   // dx of anchor 1
  box[cell * 8 + 5] = -0.25f;
  box[cell * 8 + 6] = std::log(2.0f);  // width x2
  box[cell * 8 + 7] = 0.0f;
  marks[cell * 20 + 10] = 1.0f;  // landmark 0 of anchor 1: dx 1
  marks[cell * 20 + 19] = -1.0f;  // landmark 4: dy -1
  RetinaFaceLevel level;
  level.stride = 16;
  const std::array<float, 2> sizes = RetinaFaceAnchorSizes(16);
  ASSERT_FLOAT_EQ(sizes[1], 64.0f);
  level.anchors = 2;
  level.anchor_sizes = {sizes[0], sizes[1]};
  level.height = h;
  level.width = w;
  level.class_logits = cls.data();
  level.box_deltas = box.data();
  level.landmark_deltas = marks.data();
  std::vector<Detection> found;
  DecodeRetinaFaceLevel(level, {}, 0.6f, &found);
  ASSERT_EQ(found.size(), 1u);
  const Detection& d = found[0];
  const float ax = 16 * 2 + 7.5f, ay = 16 * 1 + 7.5f;
  EXPECT_NEAR(d.score, 1.0f / (1.0f + std::exp(-2.0f)), 1e-6);
  EXPECT_NEAR(d.box.x + d.box.width / 2, ax + 64 * 0.5f, 1e-4);
  EXPECT_NEAR(d.box.y + d.box.height / 2, ay - 64 * 0.25f, 1e-4);
  EXPECT_NEAR(d.box.width, 128, 1e-3);
  EXPECT_NEAR(d.box.height, 64, 1e-3);
  ASSERT_TRUE(d.has_landmarks);
  const float spread = 64 * 0.18181818f + 1;
  EXPECT_NEAR(d.landmarks[0].x, ax + spread, 1e-4);
  EXPECT_NEAR(d.landmarks[0].y, ay, 1e-4);
  EXPECT_NEAR(d.landmarks[4].y, ay - spread, 1e-4);
  // Above its probability nothing is decoded; the background anchors never are.
  found.clear();
  DecodeRetinaFaceLevel(level, {}, 0.9f, &found);
  EXPECT_TRUE(found.empty());
}

// A registered detector's decoding (docs/models.md, "Adding a detector you have"): one anchor per
// cell, probabilities from the graph, SSD variances, another anchor offset, no landmarks.
TEST(AnchorsTest, RetinaFaceDecodesWithTheManifestsParameters) {
  const int h = 2, w = 2;
  std::vector<float> scores(static_cast<size_t>(h * w * 2), 0.0f);
  std::vector<float> box(static_cast<size_t>(h * w * 4), 0.0f);
  const size_t cell = 1 * w + 1;
  scores[cell * 2 + 0] = 0.2f;  // background probability
  scores[cell * 2 + 1] = 0.8f;  // face probability
  box[cell * 4 + 0] = 1.0f;     // dx
  box[cell * 4 + 2] = std::log(2.0f) / 0.2f;  // dw: x2 after the variance
  RetinaFaceLevel level;
  level.stride = 32;
  level.anchors = 1;
  level.anchor_sizes = {100};
  level.height = h;
  level.width = w;
  level.class_logits = scores.data();
  level.box_deltas = box.data();
  RetinaFaceDecoding decoding;
  decoding.anchor_offset = 16;
  decoding.box_variance = {0.1f, 0.2f};
  decoding.scores = RetinaFaceScores::kTwoClassProbabilities;
  decoding.landmarks = false;
  std::vector<Detection> found;
  DecodeRetinaFaceLevel(level, decoding, 0.7f, &found);
  ASSERT_EQ(found.size(), 1u);
  const Detection& d = found[0];
  EXPECT_NEAR(d.score, 0.8f, 1e-6);
  EXPECT_FALSE(d.has_landmarks);
  EXPECT_NEAR(d.box.x + d.box.width / 2, 32 + 16 + 100 * 0.1f, 1e-3);
  EXPECT_NEAR(d.box.y + d.box.height / 2, 32 + 16, 1e-3);
  EXPECT_NEAR(d.box.width, 200, 1e-2);
  EXPECT_NEAR(d.box.height, 100, 1e-2);
  found.clear();
  DecodeRetinaFaceLevel(level, decoding, 0.85f, &found);
  EXPECT_TRUE(found.empty());
}

TEST(PyramidTest, FastAndRecallPasses) {
  const PyramidOptions fast;
  // Small image: one pass at its own size.
  EXPECT_EQ(PlanPyramid(640, 480, fast), std::vector<float>({1.0f}));
  // A WIDER-size photo: its own size and the coarse 640 pass.
  auto wider = PlanPyramid(1024, 768, fast);
  ASSERT_EQ(wider.size(), 2u);
  EXPECT_FLOAT_EQ(wider[0], 1.0f);
  EXPECT_FLOAT_EQ(wider[1], 640.0f / 1024);
  // A large photo: capped at 1920 pixels, then 640.
  auto large = PlanPyramid(4000, 3000, fast);
  ASSERT_EQ(large.size(), 2u);
  EXPECT_FLOAT_EQ(large[0], 1920.0f / 4000);
  EXPECT_FLOAT_EQ(large[1], 640.0f / 4000);
  // Recall: twice the size, its own size, then 640.
  PyramidOptions recall;
  recall.max_scale = 2;
  recall.max_side = 2560;
  recall.pass_ratio = 2.5f;
  auto r = PlanPyramid(1024, 768, recall);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FLOAT_EQ(r[0], 2.0f);
  EXPECT_FLOAT_EQ(r[1], 1.0f);
  EXPECT_FLOAT_EQ(r[2], 0.625f);
  EXPECT_TRUE(PlanPyramid(0, 0, fast).empty());
}

TEST(FaceDetectorTest, DropFragmentsInsideAMuchLargerFace) {
  std::vector<Detection> in(3);
  in[0].box = {100, 100, 400, 500};  // a large face
  in[0].score = 0.99f;
  in[1].box = {150, 300, 60, 60};    // a fragment inside it (a mouth)
  in[1].score = 0.4f;
  in[2].box = {600, 100, 60, 60};    // another, small face elsewhere
  in[2].score = 0.3f;
  const std::vector<Detection> out = DropFragments(in, 0.7f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].box.x, 100);
  EXPECT_FLOAT_EQ(out[1].box.x, 600);
  // A real small face inside a weak, large false box stays.
  in[0].score = 0.2f;
  EXPECT_EQ(DropFragments(in, 0.7f).size(), 3u);
  // A face found again by another pass, shifted: the lower score goes.
  std::vector<Detection> pair(2);
  pair[0].box = {0, 0, 100, 100};
  pair[0].score = 0.99f;
  pair[1].box = {20, 10, 100, 100};  // 72 % of it inside the first
  pair[1].score = 0.77f;
  const std::vector<Detection> one = DropFragments(pair, 0.6f);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FLOAT_EQ(one[0].score, 0.99f);
  // Two faces overlapping a little (a crowd) both stay.
  pair[1].box = {70, 0, 100, 100};
  EXPECT_EQ(DropFragments(pair, 0.6f).size(), 2u);
}

TEST(FaceDetectorTest, PassCanSeeFacesFromTheConfirmSizeToTheEnlargedLimit) {
  EXPECT_FALSE(PassCanSee(1.0f, kConfirmMinInputSide - 1));
  EXPECT_TRUE(PassCanSee(1.0f, kConfirmMinInputSide));
  EXPECT_TRUE(PassCanSee(2.0f, kConfirmMinInputSide / 2));
  EXPECT_TRUE(PassCanSee(1.0f, 2000));  // own size and coarser: no upper bound
  EXPECT_FALSE(PassCanSee(2.0f, kEnlargedPassMaxFace / 2 + 1));
}

// A detection of the recall pyramid's pass `pass` (no landmarks).
Detection PassDetection(Box box, float score, int pass) {
  Detection d;
  d.box = box;
  d.score = score;
  d.pass = pass;
  return d;
}

TEST(FaceDetectorTest, PassAgreementCountsThePassesAbleToSeeAFaceAndThoseThatFoundIt) {
  const std::vector<float> scales = {2.0f, 1.0f, 0.5f};
  const Box face{100, 100, 40, 40};  // seen by 2x (80 input px) and 1x (40), not 0.5x (20)
  const Box far_away{400, 100, 40, 40};
  std::vector<Detection> kept = {PassDetection(face, 0.2f, 0)};
  CountPassAgreement({PassDetection(face, 0.2f, 0), PassDetection(far_away, 0.9f, 1)}, scales,
                     &kept);
  EXPECT_EQ(kept[0].passes_able, 2);
  EXPECT_EQ(kept[0].passes_agreeing, 1) << "the 1x pass found another face, not this one";
  CountPassAgreement({PassDetection(face, 0.2f, 0), PassDetection(face, 0.1f, 1)}, scales, &kept);
  EXPECT_EQ(kept[0].passes_agreeing, 2);
  const Box large{100, 100, 300, 300};  // 2x: 600 input px, beyond the enlarged pass's limit
  kept = {PassDetection(large, 0.9f, 1)};
  CountPassAgreement({PassDetection(large, 0.9f, 1), PassDetection(large, 0.9f, 2)}, scales, &kept);
  EXPECT_EQ(kept[0].passes_able, 2);
  EXPECT_EQ(kept[0].passes_agreeing, 2);
}

TEST(FaceDetectorTest, WeakDetectionsNeedTwoOfThePassesAbleToSeeThem) {
  const std::vector<float> scales = {2.0f, 1.0f, 0.5f};
  // A 40-px box: the 2x and 1x passes can see it (80 and 40 input px), the 0.5x pass cannot (20).
  const Box face{100, 100, 40, 40};
  const Box shifted{104, 102, 40, 40};  // the same face, found again by another pass
  std::vector<Detection> kept = {PassDetection(face, 0.2f, 0)};
  DropUnconfirmed({PassDetection(face, 0.2f, 0), PassDetection(shifted, 0.1f, 1)}, scales, 0.3f,
                  &kept);
  EXPECT_EQ(kept.size(), 1u) << "found by both able passes";
  DropUnconfirmed({PassDetection(face, 0.2f, 0)}, scales, 0.3f, &kept);
  EXPECT_TRUE(kept.empty()) << "found by one of two able passes";
  // Found by the 2x pass and the 0.5x pass, which cannot see a face that small: not confirmed.
  kept = {PassDetection(face, 0.2f, 0)};
  DropUnconfirmed({PassDetection(face, 0.2f, 0), PassDetection(face, 0.2f, 2)}, scales, 0.3f,
                  &kept);
  EXPECT_TRUE(kept.empty());
  // Scoring at the confirmation score, or with no check (0), it stays.
  kept = {PassDetection(face, 0.3f, 0)};
  DropUnconfirmed({PassDetection(face, 0.3f, 0)}, scales, 0.3f, &kept);
  EXPECT_EQ(kept.size(), 1u);
  DropUnconfirmed({PassDetection(face, 0.3f, 0)}, scales, 0.0f, &kept);
  EXPECT_EQ(kept.size(), 1u);
  // A 20-px box only the 2x pass can see (40 input px; 1x: 20): one pass is all there is.
  const Box small{300, 300, 20, 20};
  kept = {PassDetection(small, 0.1f, 0)};
  DropUnconfirmed({PassDetection(small, 0.1f, 0)}, scales, 0.3f, &kept);
  EXPECT_EQ(kept.size(), 1u);
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
