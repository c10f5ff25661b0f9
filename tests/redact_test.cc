// Redaction through the public API on the pinned sample photos (models required): every face the
// recognition pipeline finds is covered and no longer matches its original, the keep filter
// leaves its faces alone; and the detector options redaction relies on (regions, no landmarks).
#include "facet/redact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "facet/engine.h"
#include "facet/image.h"
#include "samples.h"

namespace facet {
namespace {

using fixtures::SamplePath;

class RedactTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = engine.value();
  }
  static void TearDownTestSuite() { engine_.reset(); }
  void SetUp() override {
    auto session = engine_->NewSession();
    ASSERT_TRUE(session.ok());
    session_ = std::move(session).value();
  }
  static std::shared_ptr<const Engine> engine_;
  std::unique_ptr<Session> session_;
};
std::shared_ptr<const Engine> RedactTest::engine_;

bool SamePixels(const Image& a, const Image& b, const Box& box) {
  for (int y = std::max(0, static_cast<int>(box.y));
       y < std::min(a.height(), static_cast<int>(box.y + box.height)); ++y) {
    for (int x = std::max(0, static_cast<int>(box.x));
         x < std::min(a.width(), static_cast<int>(box.x + box.width)); ++x) {
      for (int c = 0; c < 3; ++c) {
        const size_t i = (static_cast<size_t>(y) * a.width() + x) * 3 + c;
        if (a.data()[i] != b.data()[i]) return false;
      }
    }
  }
  return true;
}

TEST_F(RedactTest, EveryRecognisableFaceIsCoveredAndUnrecognisable) {
  for (int sample = 1; sample <= 6; ++sample) {
    auto original = LoadImage(SamplePath(sample));
    ASSERT_TRUE(original.ok());
    DetectOptions recognition;  // the recognition pipeline's defaults
    auto faces = session_->Detect(original.value(), recognition);
    ASSERT_TRUE(faces.ok());
    ASSERT_GE(faces->size(), 3u);
    RedactOptions options;
    auto result = FindRedactions(*session_, original.value(), options);  // RedactImage's regions
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    for (RedactMode mode : {RedactMode::kBlur, RedactMode::kPixelate, RedactMode::kFill}) {
      Image redacted = original.value();
      DrawRedactions(redacted, result->regions, mode, options.shape);
      EXPECT_GE(result->faces_redacted, static_cast<int>(faces->size()));
      for (const Face& face : faces.value()) {
        EXPECT_GE(RedactionCoverage(result->regions, options.shape, face.box, redacted.width(),
                                    redacted.height()),
                  0.99f)
            << "sample " << sample;
      }
      // No redacted face matches its original (the same landmarks on the redacted image).
      // (Drawn without RedactImage's verification rounds: the detector may still fire on a
      // redacted head at its normal threshold; VerificationLeavesNoFaceTheDetectorFinds.)
      auto before = session_->EmbedAll(original.value(), faces.value());
      auto redacted_templates = session_->EmbedAll(redacted, faces.value());
      ASSERT_TRUE(before.ok() && redacted_templates.ok());
      for (size_t i = 0; i < faces->size(); ++i) {
        EXPECT_LT(CosineSimilarity((*before)[i], (*redacted_templates)[i]).value(),
                  engine_->recognizer().threshold_fmr_1e3)
            << "sample " << sample << " face " << i << " " << RedactModeName(mode);
      }
    }
  }
}

TEST_F(RedactTest, KeepFilterLeavesItsFacesVisible) {
  auto original = LoadImage(SamplePath(2));
  ASSERT_TRUE(original.ok());
  auto faces = session_->Detect(original.value());
  ASSERT_TRUE(faces.ok());
  const Face* largest = LargestFace(faces.value());
  ASSERT_NE(largest, nullptr);
  RedactOptions options;
  // Low enough that the scan holds weak detections below keep_min_score too (RetinaFace scores
  // real faces near 1; at redaction's 0.2 this photo may hold none below 0.5).
  options.score_threshold = 0.02f;
  options.large_face_threshold = 0.02f;
  int calls = 0;
  bool had_landmarks = true;
  options.keep = [&](Session&, const Image& frame, const Face& face) {
    ++calls;
    had_landmarks =
        had_landmarks && face.landmarks[kNose].x > face.box.x && frame.width() == original->width();
    const Box& a = face.box;
    const Box& b = largest->box;
    const float iw = std::max(0.0f, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
    const float ih = std::max(0.0f, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
    const bool same = iw * ih > 0.5f * (a.width * a.height + b.width * b.height - iw * ih);
    return std::string(same ? "largest" : "");  // IoU > 0.5: keep, as "largest"
  };
  Image redacted = original.value();
  auto result = RedactImage(*session_, redacted, options);
  ASSERT_TRUE(result.ok());
  // The filter is asked about every face of the scan at keep_min_score (0.5) and nothing else;
  // faces below it are redacted without asking unless they lie inside a kept face (PropagateKeep,
  // below), and what verification finds afterwards in the output is always redacted.
  int scanned = 0;
  int scanned_sure = 0;
  for (const RedactedRegion& r : result->regions) {
    if (r.verify_round == 0) {
      ++scanned;
      scanned_sure += r.score >= options.keep_min_score ? 1 : 0;
    } else {
      EXPECT_FALSE(r.kept);
    }
  }
  EXPECT_EQ(calls, scanned_sure);
  EXPECT_LT(scanned_sure, scanned) << "the photo should hold detections below keep_min_score";
  EXPECT_TRUE(had_landmarks);
  // keep_min_score 0: asked about every face of the scan, each with its landmarks.
  {
    RedactOptions ask_all = options;
    ask_all.keep_min_score = 0;
    calls = 0;
    Image again = original.value();
    auto all = RedactImage(*session_, again, ask_all);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(calls, static_cast<int>(std::count_if(
                         all->regions.begin(), all->regions.end(),
                         [](const RedactedRegion& r) { return r.verify_round == 0; })));
    EXPECT_GE(calls, scanned_sure);
    EXPECT_TRUE(had_landmarks);
  }
  // Kept: the largest face, and detections lying mostly inside it (parts or duplicates of it).
  int kept_count = 0;
  for (const RedactedRegion& r : result->regions) {
    if (!r.kept) continue;
    ++kept_count;
    const Box& a = r.face;
    const Box& b = largest->box;
    const float iw = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
    const float ih = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
    EXPECT_TRUE(iw > 0 && ih > 0 && iw * ih >= 0.5f * a.width * a.height);
  }
  EXPECT_GE(kept_count, 1);
  EXPECT_EQ(result->faces_redacted, static_cast<int>(result->regions.size()) - kept_count);
  // The kept face is untouched (its centre: neighbours' margins may reach its edges).
  const Box& kept = largest->box;
  EXPECT_TRUE(SamePixels(
      original.value(), redacted,
      {kept.x + kept.width / 4, kept.y + kept.height / 4, kept.width / 2, kept.height / 2}));
  for (const Face& face : faces.value()) {
    if (&face != largest) {
      EXPECT_FALSE(SamePixels(original.value(), redacted, face.box));
    }
  }
}

// Verification: what the detector still finds in the output at the normal threshold is redacted
// too, and what it finds after the last round is exactly what residual_faces reports.
// The detections verification counts as left (ImageRedaction::residual_faces): those lying at
// least half inside a redacted region, i.e. faces still seen through a redaction.
int SeenThroughRedactions(const std::vector<Face>& found, const std::vector<RedactedRegion>& regions) {
  int count = 0;
  for (const Face& f : found) {
    for (const RedactedRegion& r : regions) {
      if (r.kept) continue;
      const float w = std::min(f.box.x + f.box.width, r.region.x + r.region.width) -
                      std::max(f.box.x, r.region.x);
      const float h = std::min(f.box.y + f.box.height, r.region.y + r.region.height) -
                      std::max(f.box.y, r.region.y);
      if (w > 0 && h > 0 && w * h >= 0.5f * f.box.width * f.box.height) {
        ++count;
        break;
      }
    }
  }
  return count;
}

TEST_F(RedactTest, VerificationLeavesNoFaceTheDetectorFinds) {
  DetectOptions check;
  check.mode = DetectorMode::kRecall;
  check.score_threshold = RedactOptions{}.verify_threshold;
  int residual = 0;
  for (int sample = 1; sample <= 6; ++sample) {
    auto original = LoadImage(SamplePath(sample));
    ASSERT_TRUE(original.ok());
    Image redacted = original.value();
    RedactOptions verified;
    verified.verify_rounds = 8;
    auto result = RedactImage(*session_, redacted, verified);
    ASSERT_TRUE(result.ok());
    auto found = session_->Detect(redacted, check);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(SeenThroughRedactions(found.value(), result->regions), result->residual_faces)
        << "sample " << sample;
    residual += result->residual_faces;
    // Verification strengthens the scan's regions and never draws outside them.
    for (const RedactedRegion& r : result->regions) {
      if (r.verify_round == 0) continue;
      EXPECT_TRUE(std::any_of(result->regions.begin(), result->regions.end(),
                              [&](const RedactedRegion& s) {
                                return s.verify_round == 0 && s.region.x == r.region.x &&
                                       s.region.y == r.region.y &&
                                       s.region.width == r.region.width &&
                                       s.region.height == r.region.height;
                              }))
          << "sample " << sample << ": a verification region is not one the scan drew";
    }
    // Without verification: the scan's regions only, nothing counted.
    RedactOptions unverified;
    unverified.verify_rounds = 0;
    Image plain = original.value();
    auto scan_only = RedactImage(*session_, plain, unverified);
    ASSERT_TRUE(scan_only.ok());
    EXPECT_EQ(scan_only->residual_faces, 0);
    for (const RedactedRegion& r : scan_only->regions) EXPECT_EQ(r.verify_round, 0);
    EXPECT_LE(scan_only->regions.size(), result->regions.size());
  }
  EXPECT_EQ(residual, 0);  // the six portraits and groups end clean
}

TEST_F(RedactTest, VerificationOfTheEncodedOutputCountsWhatTheFileHolds) {
  DetectOptions check;
  check.mode = DetectorMode::kRecall;
  check.score_threshold = RedactOptions{}.verify_threshold;
  for (int sample = 1; sample <= 6; ++sample) {
    auto original = LoadImage(SamplePath(sample));
    ASSERT_TRUE(original.ok());
    RedactOptions options;
    options.verify_encoding = ImageFormat::kJpeg;
    options.verify_rounds = 8;  // verification is off by default
    Image redacted = original.value();
    auto result = RedactImage(*session_, redacted, options);
    ASSERT_TRUE(result.ok());
    // What a reader of the written JPEG sees holds exactly the faces reported as left.
    auto encoded = EncodeImage(redacted, ImageFormat::kJpeg);
    ASSERT_TRUE(encoded.ok());
    auto written = DecodeImage(encoded.value());
    ASSERT_TRUE(written.ok());
    auto found = session_->Detect(written.value(), check);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(SeenThroughRedactions(found.value(), result->regions), result->residual_faces)
        << "sample " << sample;
  }
  // The JPEG round trip really happens: JPEG cannot hold a row wider than 65,535 pixels, so
  // verifying such an image as JPEG fails in the encoder (in memory, a blank strip scans clean).
  Image strip(70'000, 8, std::vector<uint8_t>(size_t{70'000} * 8 * 3, 128));
  ImageRedaction none;
  RedactOptions as_jpeg;
  as_jpeg.verify_encoding = ImageFormat::kJpeg;
  as_jpeg.verify_rounds = 1;
  EXPECT_FALSE(VerifyRedaction(*session_, strip, as_jpeg, &none).ok());
  RedactOptions bad;
  bad.verify_encoding = static_cast<ImageFormat>(99);
  Image image = LoadImage(SamplePath(1)).value();
  EXPECT_EQ(RedactImage(*session_, image, bad).status().code(), StatusCode::kInvalidArgument);
}

// Verification only strengthens regions around what the scan redacted: with one face of five
// drawn, the other four are left to the scan (they are not verification's to find), and whatever
// verification adds lies mostly inside the drawn region -- it cannot grow the false area.
TEST_F(RedactTest, VerificationAddsNothingOutsideRedactedRegions) {
  auto original = LoadImage(SamplePath(5));
  ASSERT_TRUE(original.ok());
  RedactOptions options;
  options.verify_rounds = 4;
  options.verify_threshold = 0.2f;  // as eager as it gets
  auto found = FindRedactions(*session_, original.value(), options);
  ASSERT_TRUE(found.ok());
  ASSERT_GE(found->regions.size(), 5u);
  ImageRedaction one;
  one.regions = {found->regions.front()};
  Image image = original.value();
  DrawRedactions(image, one.regions, options.mode, options.shape);
  ASSERT_TRUE(VerifyRedaction(*session_, image, options, &one).ok());
  const Box& drawn = found->regions.front().region;
  for (size_t i = 1; i < one.regions.size(); ++i) {
    const Box& f = one.regions[i].face;
    const float w = std::min(f.x + f.width, drawn.x + drawn.width) - std::max(f.x, drawn.x);
    const float h = std::min(f.y + f.height, drawn.y + drawn.height) - std::max(f.y, drawn.y);
    EXPECT_GE(std::max(0.0f, w) * std::max(0.0f, h), 0.5f * f.width * f.height)
        << "verification added a region outside the redacted one at " << f.x << "," << f.y;
  }
  // The four faces left visible are still visible: no region reaches their centres.
  for (size_t k = 1; k < found->regions.size(); ++k) {
    const Box& face = found->regions[k].face;
    if (found->regions[k].score < 0.9f) continue;
    EXPECT_LT(RedactionCoverage(one.regions, options.shape, face, image.width(), image.height()),
              0.5f)
        << "face at " << face.x << "," << face.y;
  }
}

TEST_F(RedactTest, DetectorRegionsAndBoxesWithoutLandmarks) {
  auto image = LoadImage(SamplePath(5));
  ASSERT_TRUE(image.ok());
  auto fast = session_->Detect(image.value());
  ASSERT_TRUE(fast.ok());
  // The whole frame as the only region is one pass over the frame (RetinaFace: scaled to 640
  // pixels, as video's frame pass): the same faces as the fast pyramid on this photo, boxes
  // within a tenth of a face.
  DetectOptions frame_region;
  frame_region.regions = {
      {0, 0, static_cast<float>(image->width()), static_cast<float>(image->height())}};
  auto same = session_->Detect(image.value(), frame_region);
  ASSERT_TRUE(same.ok());
  ASSERT_EQ(same->size(), fast->size());
  for (const Face& f : fast.value()) {
    bool matched = false;
    for (const Face& g : same.value()) {
      matched = matched || (std::abs(g.box.x - f.box.x) < 0.1f * f.box.width &&
                            std::abs(g.box.y - f.box.y) < 0.1f * f.box.height);
    }
    EXPECT_TRUE(matched) << "face at " << f.box.x << "," << f.box.y;
  }
  // Boxes only: the same boxes, no landmarks.
  DetectOptions boxes_only;
  boxes_only.compute_landmarks = false;
  auto boxes = session_->Detect(image.value(), boxes_only);
  ASSERT_TRUE(boxes.ok());
  ASSERT_EQ(boxes->size(), fast->size());
  for (size_t i = 0; i < fast->size(); ++i) {
    EXPECT_FLOAT_EQ((*boxes)[i].box.y, (*fast)[i].box.y);
    EXPECT_EQ((*boxes)[i].landmarks[kNose].x, 0.0f);
  }
  // A region around one face finds it; a region elsewhere does not.
  const Box& face = (*fast)[0].box;
  DetectOptions around;
  around.regions = {{face.x - face.width, face.y - face.height, 3 * face.width, 3 * face.height}};
  auto found = session_->Detect(image.value(), around);
  ASSERT_TRUE(found.ok());
  ASSERT_GE(found->size(), 1u);
  EXPECT_NEAR((*found)[0].box.x + (*found)[0].box.width / 2, face.x + face.width / 2,
              face.width * 0.15f);
  DetectOptions empty_region;
  empty_region.regions = {{0, 0, 0, 10}};
  EXPECT_EQ(session_->Detect(image.value(), empty_region).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RedactTest, SecondOpinionCallsFacesFacesAndTakesNoFaceForOne) {
  auto image = LoadImage(SamplePath(1));
  ASSERT_TRUE(image.ok());
  auto faces = session_->Detect(image.value(), DetectOptions{});
  ASSERT_TRUE(faces.ok());
  ASSERT_GE(faces->size(), 3u);
  std::vector<Box> boxes;
  for (const Face& f : faces.value()) boxes.push_back(f.box);
  // The same boxes moved down by two face heights (shirts, hands, background): not faces.
  for (const Face& f : faces.value()) {
    boxes.push_back({f.box.x, f.box.y + 2 * f.box.height, f.box.width, f.box.height});
  }
  auto probabilities = session_->FaceProbabilities(image.value(), boxes);
  ASSERT_TRUE(probabilities.ok()) << probabilities.status().ToString();
  ASSERT_EQ(probabilities->size(), boxes.size());
  const size_t n = faces->size();
  for (size_t i = 0; i < n; ++i) {
    EXPECT_GE((*probabilities)[i], 0.9f) << "face " << i;
    EXPECT_LT((*probabilities)[n + i], RedactOptions{}.second_opinion_accept) << "below face " << i;
  }
  EXPECT_EQ(session_->FaceProbabilities(image.value(), {{0, 0, 0, 10}}).status().code(),
            StatusCode::kInvalidArgument);
  // Redaction records the opinion it asked for, and only on weak small detections.
  auto redaction = FindRedactions(*session_, image.value(), RedactOptions{});
  ASSERT_TRUE(redaction.ok());
  for (const RedactedRegion& r : redaction->regions) {
    if (r.second_opinion < 0) continue;
    EXPECT_LT(r.score, RedactOptions{}.second_opinion_below);
    EXPECT_LT(r.face.height, RedactOptions{}.large_face_height);
  }
}

TEST_F(RedactTest, OptionsAreChecked) {
  auto image = LoadImage(SamplePath(1));
  ASSERT_TRUE(image.ok());
  RedactOptions bad_scale;
  bad_scale.scale = 0.5f;
  EXPECT_EQ(RedactImage(*session_, image.value(), bad_scale).status().code(),
            StatusCode::kInvalidArgument);
  RedactOptions bad_threshold;
  bad_threshold.score_threshold = 1.5f;
  EXPECT_EQ(RedactImage(*session_, image.value(), bad_threshold).status().code(),
            StatusCode::kInvalidArgument);
  RedactOptions bad_rounds;
  bad_rounds.verify_rounds = -1;
  EXPECT_EQ(RedactImage(*session_, image.value(), bad_rounds).status().code(),
            StatusCode::kInvalidArgument);
  RedactOptions bad_keep_min_score;
  bad_keep_min_score.keep_min_score = 1.5f;
  EXPECT_EQ(RedactImage(*session_, image.value(), bad_keep_min_score).status().code(),
            StatusCode::kInvalidArgument);
  RedactOptions bad_verify_threshold;
  bad_verify_threshold.verify_threshold = 0;
  EXPECT_EQ(RedactImage(*session_, image.value(), bad_verify_threshold).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRedactMode("sparkle").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRedactShape("box").value(), RedactShape::kBox);
  // Video options are checked before any file is touched (the input need not exist).
  for (float margin : {-0.1f, 0.5f, 0.6f, NAN}) {
    VideoRedactOptions video;
    video.verify_encoder_margin = margin;  // 0.5: not below the verification threshold 0.5
    EXPECT_EQ(
        RedactVideo(engine_, "/nonexistent/in.mp4", "/nonexistent/out.mp4", video).status().code(),
        StatusCode::kInvalidArgument)
        << margin;
  }
  VideoRedactOptions no_margin;
  no_margin.verify_encoder_margin = 0;
  EXPECT_EQ(RedactVideo(engine_, "/nonexistent/in.mp4", "/nonexistent/out.mp4", no_margin)
                .status()
                .code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace facet
