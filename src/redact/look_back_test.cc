#include "redact/look_back.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "redact/tracker.h"

namespace facet::redact {
namespace {

// A track as the tracker reports it in a frame: born (one detection, detected this frame) or
// continued.
Track Born(int64_t id, const Box& box, bool confident) {
  Track track;
  track.id = id;
  track.box = track.detected_box = box;
  track.detections = 1;
  track.confident = confident;
  return track;
}

Track Continued(const Track& born, bool confident, float velocity_x = 0) {
  Track track = born;
  track.detections = 2;
  track.confident = confident;
  track.velocity_x = velocity_x;
  return track;
}

LookBackOptions Frames(int frames) {
  LookBackOptions options;
  options.frames = frames;
  return options;
}

constexpr Box kFace{100, 100, 40, 50};

TEST(LookBackTest, AConfidentNewFaceIsDrawnInTheFramesBeforeIt) {
  LookBack look_back(Frames(5));
  for (int64_t f = 0; f < 6; ++f) look_back.Observe(f, {}, f == 0);
  look_back.Observe(6, {Born(1, kFace, true)}, false);
  EXPECT_TRUE(look_back.BoxesFor(0, {}).empty()) << "6 frames before: outside the window";
  const std::vector<Box> five_before = look_back.BoxesFor(1, {});
  ASSERT_EQ(five_before.size(), 1u);
  // Grown as a held box is, 3 % per frame: 1.15x, about the same centre.
  EXPECT_NEAR(five_before[0].width, 40 * 1.15f, 0.01f);
  EXPECT_NEAR(five_before[0].x + five_before[0].width / 2, 120, 0.01f);
  const std::vector<Box> one_before = look_back.BoxesFor(5, {});
  ASSERT_EQ(one_before.size(), 1u);
  EXPECT_NEAR(one_before[0].width, 40 * 1.03f, 0.01f);
  EXPECT_TRUE(look_back.BoxesFor(6, {}).empty()) << "its own frame draws it as a track";
}

TEST(LookBackTest, ATentativeFaceIsDrawnBackOnlyOnceItIsConfirmed) {
  LookBack look_back(Frames(5));
  for (int64_t f = 0; f < 4; ++f) look_back.Observe(f, {}, f == 0);
  const Track weak = Born(1, kFace, false);
  const Track never = Born(2, {400, 100, 40, 50}, false);
  look_back.Observe(4, {weak, never}, false);
  EXPECT_TRUE(look_back.BoxesFor(1, {}).empty());
  // A second detection at 0.5 or more (or one O-Net vouched for) confirms it.
  look_back.Observe(5, {Continued(weak, true), Continued(never, false)}, false);
  const std::vector<Box> boxes = look_back.BoxesFor(2, {});
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_LT(boxes[0].x, 200) << "the confirmed one, not the other";
}

TEST(LookBackTest, NothingIsAddedWhereTheFrameDrawsTheFaceAlready) {
  LookBack look_back(Frames(5));
  for (int64_t f = 0; f < 4; ++f) look_back.Observe(f, {}, f == 0);
  look_back.Observe(4, {Born(1, kFace, true)}, false);
  // The same face held by an older track (IoU >= 0.2) in frame 3.
  EXPECT_TRUE(look_back.BoxesFor(3, {{105, 102, 40, 50}}).empty());
}

TEST(LookBackTest, NotAcrossACut) {
  LookBack look_back(Frames(8));
  for (int64_t f = 0; f < 6; ++f) look_back.Observe(f, {}, f == 0 || f == 4);
  look_back.Observe(6, {Born(1, kFace, true)}, false);
  EXPECT_TRUE(look_back.BoxesFor(3, {}).empty()) << "frame 3 is the shot before";
  EXPECT_EQ(look_back.BoxesFor(4, {}).size(), 1u);
}

TEST(LookBackTest, AFaceTheKeepFilterNamedIsNotDrawnBack) {
  LookBack look_back(Frames(5));
  for (int64_t f = 0; f < 4; ++f) look_back.Observe(f, {}, f == 0);
  Track named = Born(1, kFace, true);
  named.identity = "alice";
  look_back.Observe(4, {named}, false);
  EXPECT_TRUE(look_back.BoxesFor(2, {}).empty());
}

TEST(LookBackTest, TheBoxMovesBackAlongTheTracksVelocity) {
  LookBack look_back(Frames(5));
  for (int64_t f = 0; f < 4; ++f) look_back.Observe(f, {}, f == 0);
  const Track born = Born(1, kFace, true);
  look_back.Observe(4, {born}, false);
  look_back.Observe(5, {Continued(born, true, /*velocity_x=*/3)}, false);
  const std::vector<Box> boxes = look_back.BoxesFor(2, {});
  ASSERT_EQ(boxes.size(), 1u);
  // Two frames before its birth, walking right at 3 px per frame: 6 px to the left.
  EXPECT_NEAR(boxes[0].x + boxes[0].width / 2, 120 - 6, 0.01f);
}

TEST(LookBackTest, OffDrawsNothing) {
  LookBack look_back(Frames(0));
  look_back.Observe(0, {}, true);
  look_back.Observe(1, {Born(1, kFace, true)}, false);
  EXPECT_TRUE(look_back.BoxesFor(0, {}).empty());
}

Image Uniform(int width, int height, uint8_t value) {
  return Image(width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3, value));
}

// A picture with structure: vertical stripes `stripe` px wide, shifted by `shift` px.
Image Stripes(int width, int height, int stripe, int shift) {
  std::vector<uint8_t> bgr(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uint8_t v = ((x + shift) / stripe) % 2 == 0 ? 40 : 200;
      for (int c = 0; c < 3; ++c) bgr[(static_cast<size_t>(y) * width + x) * 3 + c] = v;
    }
  }
  return Image(width, height, std::move(bgr));
}

TEST(ShotCutDetectorTest, TellsANewShotFromTheSameOneMoving) {
  ShotCutDetector cuts;
  EXPECT_TRUE(cuts.IsCut(Stripes(1920, 1080, 240, 0))) << "the first frame starts a shot";
  EXPECT_FALSE(cuts.IsCut(Stripes(1920, 1080, 240, 0)));
  EXPECT_FALSE(cuts.IsCut(Stripes(1920, 1080, 240, 8))) << "the camera moved 8 px";
  EXPECT_TRUE(cuts.IsCut(Uniform(1920, 1080, 20))) << "another shot, dark";
  EXPECT_FALSE(cuts.IsCut(Uniform(1920, 1080, 30))) << "a little brighter";
  EXPECT_TRUE(cuts.IsCut(Stripes(1920, 1080, 240, 120)));
}

}  // namespace
}  // namespace facet::redact
