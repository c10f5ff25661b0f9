// The second-opinion rules of photo redaction (RedactOptions::second_opinion_*): which detections
// O-Net is asked about, and what its answer decides.
#include "redact/options.h"

#include <gtest/gtest.h>

namespace facet::redact {
namespace {

Face SmallFace(float score, bool single_scale, float height = 30) {
  Face face;
  face.box = {100, 100, height * 0.8f, height};
  face.score = score;
  face.single_scale = single_scale;
  return face;
}

TEST(SecondOpinionTest, AskedOnlyAboutWeakSmallDetections) {
  const RedactOptions options;  // defaults: threshold 0.05, floor 0.03, below 0.2, large 48 px
  // Just under the threshold, from the floor on: asked, whatever the scales said.
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.04f, false)));
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.03f, true)));
  EXPECT_FALSE(NeedsSecondOpinion(options, SmallFace(0.029f, false)));  // below the floor
  // From the threshold to `below`: asked only when one scale alone saw it.
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.18f, true)));
  EXPECT_FALSE(NeedsSecondOpinion(options, SmallFace(0.18f, false)));
  EXPECT_FALSE(NeedsSecondOpinion(options, SmallFace(0.2f, true)));  // at `below`: trusted
  // Large faces: asked from the threshold up to large_face_threshold (0.6), whatever the scales.
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.1f, false, 48)));
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.59f, true, 48)));
  EXPECT_FALSE(NeedsSecondOpinion(options, SmallFace(0.6f, true, 48)));   // redacted anyway
  EXPECT_FALSE(NeedsSecondOpinion(options, SmallFace(0.04f, true, 48)));  // below the threshold
  EXPECT_TRUE(NeedsSecondOpinion(options, SmallFace(0.1f, true, 47.9f)));
  RedactOptions no_large = options;
  no_large.large_face_second_opinion = 0;
  EXPECT_FALSE(NeedsSecondOpinion(no_large, SmallFace(0.1f, false, 48)));
  EXPECT_FALSE(NeedsLargeFaceOpinion(no_large, SmallFace(0.1f, false, 48)));
  EXPECT_TRUE(NeedsSecondOpinion(no_large, SmallFace(0.1f, true, 47.9f)));
  // Off.
  RedactOptions off;
  off.second_opinion_below = 0;
  EXPECT_FALSE(NeedsSecondOpinion(off, SmallFace(0.04f, false)));
  EXPECT_FALSE(NeedsSecondOpinion(off, SmallFace(0.18f, true)));
  EXPECT_FALSE(NeedsSecondOpinion(off, SmallFace(0.1f, false, 48)));
  EXPECT_FALSE(NeedsLargeFaceOpinion(off, SmallFace(0.1f, false, 48)));
}

TEST(SecondOpinionTest, ALargeWeakFaceNeedsO_NetToBeSure) {
  const RedactOptions options;  // large_face_second_opinion 0.99
  EXPECT_TRUE(RedactsWithSecondOpinion(options, SmallFace(0.06f, false, 52), 0.99f));
  EXPECT_FALSE(RedactsWithSecondOpinion(options, SmallFace(0.5f, false, 52), 0.98f));
}

TEST(SecondOpinionTest, AnswerAcceptsBelowTheThresholdAndRejectsAboveIt) {
  const RedactOptions options;  // accept 0.5, reject 0.08
  // Under the threshold O-Net must call it a face to let it in.
  EXPECT_TRUE(RedactsWithSecondOpinion(options, SmallFace(0.04f, false), 0.5f));
  EXPECT_FALSE(RedactsWithSecondOpinion(options, SmallFace(0.04f, false), 0.49f));
  // Above it, one scale alone: dropped only when O-Net sees no face at all (the sample photo's
  // hand: score 0.18, O-Net 0.06).
  EXPECT_FALSE(RedactsWithSecondOpinion(options, SmallFace(0.18f, true), 0.06f));
  EXPECT_TRUE(RedactsWithSecondOpinion(options, SmallFace(0.18f, true), 0.08f));
  EXPECT_TRUE(RedactsWithSecondOpinion(options, SmallFace(0.18f, true), 0.3f));
}

TEST(SecondOpinionTest, ScanRunsDownToTheFloorOnlyWhenOn) {
  RedactOptions options;
  EXPECT_FLOAT_EQ(PhotoScanThreshold(options), 0.03f);
  options.score_threshold = 0.02f;  // a threshold under the floor: the threshold
  EXPECT_FLOAT_EQ(PhotoScanThreshold(options), 0.02f);
  options.score_threshold = 0.05f;
  options.second_opinion_below = 0;
  EXPECT_FLOAT_EQ(PhotoScanThreshold(options), 0.05f);
}

TEST(SecondOpinionTest, OptionsAreChecked) {
  EXPECT_TRUE(ValidateRedactOptions(RedactOptions{}).ok());
  for (auto set : {+[](RedactOptions& o) { o.second_opinion_below = 1.0f; },
                   +[](RedactOptions& o) { o.second_opinion_below = -0.1f; },
                   +[](RedactOptions& o) { o.second_opinion_reject = 1.5f; },
                   +[](RedactOptions& o) { o.second_opinion_accept = -1.0f; },
                   +[](RedactOptions& o) { o.second_opinion_floor = 0.0f; },
                   +[](RedactOptions& o) { o.large_face_second_opinion = 1.01f; },
                   +[](RedactOptions& o) { o.large_face_second_opinion = -0.5f; }}) {
    RedactOptions options;
    set(options);
    EXPECT_EQ(ValidateRedactOptions(options).code(), StatusCode::kInvalidArgument);
  }
}

TEST(VideoOptionsTest, LookBackIsChecked) {
  VideoRedactOptions options;
  EXPECT_TRUE(ValidateRedactOptions(options).ok()) << "-1: the tile rotation";
  for (int frames : {0, 8, 100}) {
    options.look_back_frames = frames;
    EXPECT_TRUE(ValidateRedactOptions(options).ok()) << frames;
  }
  for (int frames : {-2, 101}) {
    options.look_back_frames = frames;
    EXPECT_EQ(ValidateRedactOptions(options).code(), StatusCode::kInvalidArgument) << frames;
  }
}

}  // namespace
}  // namespace facet::redact
