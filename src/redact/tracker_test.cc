#include "redact/tracker.h"

#include <gtest/gtest.h>

#include <string>

#include "redact/scheduler.h"

namespace facet::redact {
namespace {

// The whole 1000x1000 frame, finding faces of 20 px and up.
std::vector<ScannedRegion> Frame() { return {{{0, 0, 1000, 1000}, 20, 0}}; }

TEST(BoxTrackerTest, ADetectionContinuesItsTrack) {
  BoxTracker tracker;
  tracker.Update({{{100, 100, 50, 50}, 0.9f}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 1u);
  const int64_t id = tracker.tracks()[0].id;
  tracker.Update({{{104, 102, 50, 50}, 0.8f}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].id, id);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.x, 104);
  EXPECT_EQ(tracker.tracks()[0].frames_without_detection, 0);
  EXPECT_EQ(tracker.tracks_started(), 1);
}

TEST(BoxTrackerTest, SeparateFacesGetSeparateTracks) {
  BoxTracker tracker;
  tracker.Update({{{100, 100, 50, 50}, 0.9f}, {{400, 100, 50, 50}, 0.9f}}, Frame());
  tracker.Update({{{401, 101, 50, 50}, 0.9f}, {{101, 99, 50, 50}, 0.9f}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_EQ(tracker.tracks_started(), 2);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.x, 101);
  EXPECT_FLOAT_EQ(tracker.tracks()[1].box.x, 401);
}

TEST(BoxTrackerTest, AMissedFaceIsHeldForHoldFramesThenDropped) {
  TrackerOptions options;
  options.hold_frames = 3;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 50, 50}, 0.9f}}, Frame());
  for (int miss = 1; miss <= 3; ++miss) {
    tracker.Update({}, Frame());
    ASSERT_EQ(tracker.tracks().size(), 1u) << "miss " << miss;
    EXPECT_EQ(tracker.tracks()[0].misses, miss);
    EXPECT_EQ(tracker.tracks()[0].frames_without_detection, miss);
  }
  tracker.Update({}, Frame());
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(BoxTrackerTest, HeldBoxesGrowUpToTheLimit) {
  TrackerOptions options;
  options.hold_frames = 100;
  options.max_frames_without_detection = 100;
  options.growth_per_frame = 0.1f;
  options.max_growth = 1.5f;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 40, 40}, 0.9f}}, Frame());
  tracker.Update({}, Frame());
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.width, 44);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.x, 98);  // same centre
  for (int i = 0; i < 20; ++i) tracker.Update({}, Frame());
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.width, 60);
}

// A frame in which no scanned region could find the face (too small for the frame pass, its
// tile not scanned) is not a miss: tiles take turns.
TEST(BoxTrackerTest, FramesThatCouldNotSeeTheFaceAreNotMisses) {
  TrackerOptions options;
  options.hold_frames = 2;
  options.max_frames_without_detection = 10;
  BoxTracker tracker(options);
  const std::vector<ScannedRegion> frame_only = {{{0, 0, 1000, 1000}, 60, 0}};
  const std::vector<ScannedRegion> tile = {{{0, 0, 1000, 1000}, 60, 0},
                                           {{0, 0, 250, 250}, 15, 125}};
  tracker.Update({{{100, 100, 30, 30}, 0.9f}}, tile);
  for (int i = 0; i < 10; ++i) tracker.Update({}, frame_only);  // a 30 px face: invisible here
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].misses, 0);
  tracker.Update({}, frame_only);  // 11 frames without a detection: over the limit
  EXPECT_TRUE(tracker.tracks().empty());

  // A tile that does not contain the face, or finds only larger faces, does not count either.
  BoxTracker second(options);
  second.Update({{{600, 600, 30, 30}, 0.9f}}, tile);
  second.Update({}, tile);
  second.Update({}, {{{0, 0, 1000, 1000}, 60, 0}, {{500, 500, 500, 500}, 40, 250}});
  ASSERT_EQ(second.tracks().size(), 1u);
  EXPECT_EQ(second.tracks()[0].misses, 0);
  second.Update({}, {{{0, 0, 1000, 1000}, 60, 0}, {{500, 500, 500, 500}, 20, 250}});
  second.Update({}, {{{0, 0, 1000, 1000}, 60, 0}, {{500, 500, 500, 500}, 20, 250}});
  EXPECT_EQ(second.tracks()[0].misses, 2);
  second.Update({}, {{{0, 0, 1000, 1000}, 60, 0}, {{500, 500, 500, 500}, 20, 250}});
  EXPECT_TRUE(second.tracks().empty());
}

TEST(BoxTrackerTest, HeldBoxesFollowTheVelocityAndAreFoundAgain) {
  TrackerOptions options;
  options.velocity_smoothing = 1.0f;
  options.max_speed = 1.0f;
  options.growth_per_frame = 0;
  BoxTracker tracker(options);
  for (int f = 0; f < 3; ++f) {
    tracker.Update({{{100.0f + 10.0f * f, 100, 40, 40}, 0.9f}}, Frame());
  }
  const int64_t id = tracker.tracks()[0].id;
  tracker.Update({}, Frame());
  tracker.Update({}, Frame());
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.x, 140);  // two frames on at 10 px/frame
  // Found again where the motion predicts, far from where it was last seen: same track.
  tracker.Update({{{150, 100, 40, 40}, 0.9f}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_EQ(tracker.tracks()[0].id, id);
}

TEST(BoxTrackerTest, TentativeTracksAreDroppedSooner) {
  TrackerOptions options;
  options.hold_frames = 10;
  options.tentative_hold_frames = 2;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 50, 50}, 0.35f}, {{400, 100, 50, 50}, 0.9f}}, Frame());
  tracker.Update({{{500, 500, 50, 50}, 0.35f}}, Frame());  // confirmed below: seen twice
  tracker.Update({{{500, 500, 50, 50}, 0.35f}}, Frame());
  EXPECT_EQ(tracker.tracks().size(), 3u);  // the weak, once-seen track: 2 misses, its hold
  tracker.Update({}, Frame());             // 3 misses: it goes; the others stay
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].detected_box.x, 400);
  EXPECT_FLOAT_EQ(tracker.tracks()[1].detected_box.x, 500);
}

TEST(BoxTrackerTest, ADetectionO_NetVouchedForConfirmsItsTrack) {
  TrackerOptions options;
  options.hold_frames = 10;
  options.tentative_hold_frames = 2;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 50, 50}, 0.1f, "", /*vouched=*/true},
                  {{400, 100, 50, 50}, 0.1f},
                  {{700, 100, 50, 50}, 0.6f}},
                 Frame());
  ASSERT_EQ(tracker.tracks().size(), 3u);
  EXPECT_TRUE(tracker.tracks()[0].confident);
  EXPECT_FALSE(tracker.tracks()[1].confident);
  EXPECT_TRUE(tracker.tracks()[2].confident) << "scored at least confirm_score";
  for (int i = 0; i < 3; ++i) tracker.Update({}, Frame());
  // The unvouched weak one went after its tentative hold; the vouched one is held as a face.
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].detected_box.x, 100);
  // A later detection at 0.5 or more confirms a track too.
  tracker.Update({{{100, 100, 50, 50}, 0.2f}, {{400, 100, 50, 50}, 0.1f}}, Frame());
  tracker.Update({{{400, 100, 50, 50}, 0.7f}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 3u);
  EXPECT_TRUE(tracker.tracks()[2].confident);
}

TEST(BoxTrackerTest, SpeedIsCapped) {
  TrackerOptions options;
  options.velocity_smoothing = 1.0f;
  options.max_speed = 0.1f;
  options.match_iou = 0.01f;
  options.growth_per_frame = 0;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 40, 40}, 0.9f}}, Frame());
  tracker.Update({{{130, 100, 40, 40}, 0.9f}}, Frame());  // 30 px in a frame: capped at 4
  tracker.Update({}, Frame());
  EXPECT_FLOAT_EQ(tracker.tracks()[0].box.x, 134);
}

TEST(BoxTrackerTest, KeepNeedsConfirmedDetectionsOfOneIdentity) {
  TrackerOptions options;
  options.keep_confirm_detections = 3;
  BoxTracker tracker(options);
  const Box box{100, 100, 50, 50};
  auto step = [&](const std::string& identity) {
    tracker.Update({{box, 0.9f, identity}}, Frame());
    EXPECT_EQ(tracker.tracks().size(), 1u);
    return tracker.tracks()[0].keep;
  };
  EXPECT_FALSE(step("ada"));
  EXPECT_FALSE(step("ada"));
  EXPECT_TRUE(step("ada"));  // third in a row
  EXPECT_TRUE(step("ada"));
  EXPECT_FALSE(step(""));  // one unidentified detection: redacted, and the run starts over
  EXPECT_FALSE(step("ada"));
  EXPECT_FALSE(step("ada"));
  EXPECT_TRUE(step("ada"));
  EXPECT_FALSE(step("bob"));  // another identity starts its own run
  EXPECT_FALSE(step("ada"));
  EXPECT_EQ(tracker.tracks_started(), 1);
}

TEST(BoxTrackerTest, AHeldKeptTrackIsRedactedUntilDetectedAgain) {
  TrackerOptions options;
  options.keep_confirm_detections = 2;
  BoxTracker tracker(options);
  const Box box{100, 100, 50, 50};
  tracker.Update({{box, 0.9f, "ada"}}, Frame());
  tracker.Update({{box, 0.9f, "ada"}}, Frame());
  ASSERT_TRUE(tracker.tracks()[0].keep);
  tracker.Update({}, Frame());  // missed: held, and redacted
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_FALSE(tracker.tracks()[0].keep);
  tracker.Update({{box, 0.9f, "ada"}}, Frame());  // a miss does not break the run
  EXPECT_TRUE(tracker.tracks()[0].keep);
}

TEST(BoxTrackerTest, OneConfirmationKeepsAtOnce) {
  TrackerOptions options;
  options.keep_confirm_detections = 1;
  BoxTracker tracker(options);
  tracker.Update({{{100, 100, 50, 50}, 0.9f, "ada"}, {{400, 100, 50, 50}, 0.9f, ""}}, Frame());
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_TRUE(tracker.tracks()[0].keep);
  EXPECT_FALSE(tracker.tracks()[1].keep);
}

TEST(TileSchedulerTest, EveryTileIsScannedOncePerRotation) {
  for (int per_frame : {1, 2, 3, 5}) {
    const TileScheduler scheduler(1920, 1080, {.tile_levels = 2, .tiles_per_frame = per_frame});
    const size_t n = scheduler.tiles().size();
    ASSERT_GT(n, 10u);
    const int period = scheduler.rotation_period();
    std::vector<int> seen(n, 0);
    for (int64_t f = 0; f < 3 * period; ++f) {
      const auto plan = scheduler.Plan(f, {});
      ASSERT_GE(plan.size(), 1u);
      EXPECT_FLOAT_EQ(plan[0].rect.width, 1920);  // the frame pass first, every frame
      EXPECT_FLOAT_EQ(plan[0].rect.height, 1080);
      EXPECT_LE(plan.size(), f == 0 ? 1u + n : 1u + per_frame);  // frame 0: level 1's tiles
      for (size_t p = 1; p < plan.size(); ++p) {
        for (size_t t = 0; t < n; ++t) {
          if (plan[p].rect.x == scheduler.tiles()[t].rect.x &&
              plan[p].rect.y == scheduler.tiles()[t].rect.y &&
              plan[p].rect.width == scheduler.tiles()[t].rect.width) {
            ++seen[t];
          }
        }
      }
      if (f == period - 1) {
        for (size_t t = 0; t < n; ++t)
          EXPECT_GE(seen[t], 1) << "tile " << t << " per_frame " << per_frame;
      }
    }
    for (size_t t = 0; t < n; ++t) EXPECT_GE(seen[t], 3) << "tile " << t;
  }
}

TEST(TileSchedulerTest, TheFirstFrameGetsEveryTileOfTheFirstLevel) {
  const TileScheduler scheduler(1920, 1080, {.tile_levels = 2, .tiles_per_frame = 1});
  std::vector<cv::Rect> level_one;
  for (const detect::Tile& tile : scheduler.tiles()) {
    if (tile.level == 1) level_one.push_back(tile.rect);
  }
  ASSERT_GE(level_one.size(), 4u);
  ASSERT_GT(scheduler.tiles().size(), level_one.size());
  const auto first = scheduler.Plan(0, {});
  ASSERT_EQ(first.size(), 1u + level_one.size());
  for (size_t i = 0; i < level_one.size(); ++i) {
    EXPECT_FLOAT_EQ(first[1 + i].rect.x, static_cast<float>(level_one[i].x));
    EXPECT_FLOAT_EQ(first[1 + i].rect.width, static_cast<float>(level_one[i].width));
  }
  EXPECT_EQ(scheduler.Plan(1, {}).size(), 2u);
  const TileScheduler rotation_only(
      1920, 1080, {.tile_levels = 2, .tiles_per_frame = 1, .every_tile_on_first_frame = false});
  EXPECT_EQ(rotation_only.Plan(0, {}).size(), 2u);
}

TEST(TileSchedulerTest, NoTilesMeansTheFramePassOnly) {
  const TileScheduler none(1920, 1080, {.tile_levels = 2, .tiles_per_frame = 0});
  EXPECT_EQ(none.Plan(7, {}).size(), 1u);
  const TileScheduler no_levels(1920, 1080, {.tile_levels = 0, .tiles_per_frame = 2});
  EXPECT_TRUE(no_levels.tiles().empty());
  EXPECT_EQ(no_levels.Plan(7, {}).size(), 1u);
}

TEST(TileSchedulerTest, FaceSizeLimitsOfTheRegions) {
  const TileScheduler scheduler(
      1920, 1080,
      {.tile_levels = 2, .tiles_per_frame = 2, .detector = detect::DetectorKind::kBlazeFace});
  EXPECT_FLOAT_EQ(scheduler.FrameRegion().smallest_face, 120);  // 1920 / 16
  EXPECT_FLOAT_EQ(scheduler.FrameRegion().largest_face, 0);
  const detect::Tile& finest = scheduler.tiles().back();
  EXPECT_EQ(finest.level, 2);
  EXPECT_FLOAT_EQ(scheduler.TileRegion(finest).smallest_face, 30);  // 480 / 16
  EXPECT_FLOAT_EQ(scheduler.TileRegion(finest).largest_face, 240);
}

TEST(TileSchedulerTest, RetinaFaceRegionsFindSmallerFaces) {
  const TileScheduler scheduler(1920, 1080, {.tile_levels = 2, .tiles_per_frame = 2});
  // The frame is scanned at 640 / 1920: faces from 12 input pixels, 36 image pixels.
  EXPECT_FLOAT_EQ(scheduler.FrameRegion().smallest_face, 36);
  // A 480-px tile at its own size (never enlarged): 12 px.
  EXPECT_FLOAT_EQ(scheduler.TileRegion(scheduler.tiles().back()).smallest_face, 12);
}

// A small face the detector has lost for a few frames gets a tile that can find it.
TEST(TileSchedulerTest, StaleSmallTracksGetARefreshTile) {
  const TileScheduler scheduler(
      1920, 1080,
      {.tile_levels = 2, .tiles_per_frame = 2, .detector = detect::DetectorKind::kBlazeFace});
  const Box face{1500, 800, 40, 40};  // only level-2 tiles (480 px) find 40-px faces
  auto finds_face = [&](const std::vector<ScannedRegion>& plan) {
    for (const ScannedRegion& r : plan) {
      if (r.smallest_face <= 40 && r.rect.x <= face.x && r.rect.y <= face.y &&
          r.rect.x + r.rect.width >= face.x + face.width &&
          r.rect.y + r.rect.height >= face.y + face.height) {
        return true;
      }
    }
    return false;
  };
  int without = 0, with = 0;
  for (int64_t f = 0; f < 40; ++f) {
    without += finds_face(scheduler.Plan(f, {})) ? 1 : 0;
    with += finds_face(scheduler.Plan(f, {{face, 5}})) ? 1 : 0;
    // A fresh track (just detected) needs no refresh: the plan is the rotation's.
    EXPECT_EQ(scheduler.Plan(f, {{face, 0}}).size(), scheduler.Plan(f, {}).size());
  }
  EXPECT_EQ(with, 40);
  EXPECT_LT(without, 10);
  // A large face the frame pass finds needs no tile.
  EXPECT_EQ(scheduler.Plan(3, {{{100, 100, 300, 300}, 5}}).size(), scheduler.Plan(3, {}).size());
}

}  // namespace
}  // namespace facet::redact
