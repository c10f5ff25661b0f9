// End-to-end tests of the public API on the pinned sample photos (models required).
#include "facet/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include "facet/image.h"
#include "samples.h"

namespace facet {
namespace {

using fixtures::SamplePath;

float Iou(const Box& a, const Box& b) {
  const float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const float x1 = std::min(a.x + a.width, b.x + b.width);
  const float y1 = std::min(a.y + a.height, b.y + b.height);
  const float inter = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString()
                             << " (run scripts/models.sh to fetch and convert the models)";
    engine_ = engine.value();
  }
  static void TearDownTestSuite() { engine_.reset(); }

  std::unique_ptr<Session> NewSession() {
    auto session = engine_->NewSession();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return std::move(session).value();
  }

  static std::shared_ptr<const Engine> engine_;
};
std::shared_ptr<const Engine> EngineTest::engine_;

// Boxes checked by eye on annotated images (out/annotated-*.jpg of scripts/demo.sh): every face
// in the six photos, none missing, none extra. RetinaFace (the default detector; its boxes span
// brow to chin, taller than wide) and BlazeFace (square boxes).
struct Expected {
  int sample;
  std::vector<Box> boxes;
};
const std::vector<Expected>& ExpectedRetinaFaceFaces() {
  static const auto* expected = new std::vector<Expected>{
      {1, {{1468, 206, 203, 214}, {822, 422, 214, 235}, {415, 353, 183, 250}}},
      {2, {{1446, 158, 203, 232}, {353, 122, 182, 294}, {896, 246, 176, 216}}},
      {3, {{594, 322, 201, 274}, {1074, 206, 223, 303}, {1488, 291, 212, 284}}},
      {4, {{658, 62, 190, 241}, {977, 182, 182, 236}, {263, 208, 182, 224}, {1268, 152, 180, 236}}},
      {5,
       {{1403, 385, 202, 287},
        {599, 423, 174, 242},
        {369, 871, 212, 297},
        {1121, 208, 172, 224},
        {777, 123, 167, 215}}},
      {6, {{1480, 261, 218, 294}, {254, 479, 223, 286}, {664, 325, 212, 312}, {1176, 315, 206, 280}}},
  };
  return *expected;
}
const std::vector<Expected>& ExpectedBlazeFaceFaces() {
  static const auto* expected = new std::vector<Expected>{
      {1, {{419, 409, 190, 190}, {1496, 273, 146, 146}, {852, 467, 179, 179}}},
      {2, {{1456, 197, 198, 198}, {353, 184, 208, 208}, {868, 251, 209, 209}}},
      {3, {{589, 383, 206, 206}, {1065, 258, 250, 250}, {1458, 352, 213, 213}}},
      {4, {{976, 228, 198, 198}, {678, 128, 163, 163}, {1280, 200, 185, 185}, {237, 245, 179, 179}}},
      {5,
       {{776, 161, 166, 166},
        {571, 456, 199, 199},
        {1418, 438, 211, 211},
        {1113, 257, 182, 182},
        {359, 941, 202, 202}}},
      {6, {{655, 376, 244, 244}, {1463, 314, 247, 247}, {236, 533, 228, 228}, {1149, 346, 240, 240}}},
  };
  return *expected;
}

void ExpectEveryFace(Session& session, const std::vector<Expected>& expected) {
  for (const Expected& e : expected) {
    auto image = LoadImage(SamplePath(e.sample));
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    auto faces = session.Detect(image.value());
    ASSERT_TRUE(faces.ok()) << faces.status().ToString();
    ASSERT_EQ(faces->size(), e.boxes.size()) << "sample" << e.sample;
    for (const Box& want : e.boxes) {
      float best = 0;
      for (const Face& f : faces.value()) best = std::max(best, Iou(f.box, want));
      EXPECT_GT(best, 0.8f) << "sample" << e.sample << " box at " << want.x << "," << want.y;
    }
  }
}

TEST_F(EngineTest, FindsEveryFaceInTheSamplePhotos) {
  auto session = NewSession();
  ExpectEveryFace(*session, ExpectedRetinaFaceFaces());
}

TEST(EngineBlazeFaceTest, FindsEveryFaceInTheSamplePhotos) {
  auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .detector = "blazeface"});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto session = (*engine)->NewSession();
  ASSERT_TRUE(session.ok());
  ExpectEveryFace(**session, ExpectedBlazeFaceFaces());
}

TEST(EngineCreateTest, UnknownDetectorIsAnErrorListingTheKnownOnes) {
  auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .detector = "yolo"});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("retinaface, blazeface"), std::string::npos)
      << engine.status().ToString();
}

TEST_F(EngineTest, LandmarksLieInsideTheFaceInAnatomicalOrder) {
  auto session = NewSession();
  auto image = LoadImage(SamplePath(5));
  ASSERT_TRUE(image.ok());
  auto faces = session->Detect(image.value());
  ASSERT_TRUE(faces.ok());
  for (const Face& f : faces.value()) {
    const auto& lm = f.landmarks;
    for (const Point& p : lm) {
      EXPECT_GT(p.x, f.box.x - 0.1f * f.box.width);
      EXPECT_LT(p.x, f.box.x + 1.1f * f.box.width);
      EXPECT_GT(p.y, f.box.y - 0.1f * f.box.height);
      EXPECT_LT(p.y, f.box.y + 1.1f * f.box.height);
    }
    EXPECT_LT(lm[kLeftEye].x, lm[kRightEye].x);
    EXPECT_LT(lm[kMouthLeft].x, lm[kMouthRight].x);
    EXPECT_LT(std::max(lm[kLeftEye].y, lm[kRightEye].y), std::min(lm[kMouthLeft].y, lm[kMouthRight].y));
    EXPECT_GT(lm[kNose].y, std::min(lm[kLeftEye].y, lm[kRightEye].y));
  }
}

// landmarks_min_score: faces below it come back without landmarks or quality (as with
// compute_landmarks false), the others exactly as a full run gives them.
TEST_F(EngineTest, LandmarksOnlyForFacesAtTheMinimumScore) {
  auto session = NewSession();
  auto image = LoadImage(SamplePath(5));
  ASSERT_TRUE(image.ok());
  DetectOptions all;
  all.score_threshold = 0.2f;  // as redaction detects: weaker detections too
  auto full = session->Detect(image.value(), all);
  ASSERT_TRUE(full.ok());
  ASSERT_GE(full->size(), 3u);
  DetectOptions some = all;
  // Between the lowest and the highest score: some faces on each side.
  some.landmarks_min_score = ((*full)[0].score + full->back().score) / 2;
  auto partial = session->Detect(image.value(), some);
  ASSERT_TRUE(partial.ok());
  ASSERT_EQ(partial->size(), full->size());
  int with = 0, without = 0;
  for (size_t i = 0; i < full->size(); ++i) {
    const Face& a = (*full)[i];
    const Face& b = (*partial)[i];
    EXPECT_EQ(a.score, b.score);
    if (b.score >= some.landmarks_min_score) {
      ++with;
      for (size_t p = 0; p < a.landmarks.size(); ++p) {
        EXPECT_NEAR(a.landmarks[p].x, b.landmarks[p].x, 1e-3);
        EXPECT_NEAR(a.landmarks[p].y, b.landmarks[p].y, 1e-3);
      }
      EXPECT_EQ(a.quality.level, b.quality.level);
    } else {
      ++without;
      for (const Point& p : b.landmarks) EXPECT_TRUE(p.x == 0 && p.y == 0);
    }
  }
  EXPECT_GT(with, 0);
  EXPECT_GT(without, 0);
}

// Every recognizer: each face of sample6 matches itself in a 60 % copy above the FMR-1e-4
// threshold, and no two people of the photo match at FMR 1e-3.
class RecognizerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RecognizerTest, SameFaceRescaledMatchesAndOtherPeopleDoNot) {
  auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .recognizer = GetParam()});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto new_session = (*engine)->NewSession();
  ASSERT_TRUE(new_session.ok());
  std::unique_ptr<Session> session = std::move(new_session).value();
  auto image = LoadImage(SamplePath(6));
  ASSERT_TRUE(image.ok());
  auto faces = session->Detect(image.value());
  ASSERT_TRUE(faces.ok());
  ASSERT_EQ(faces->size(), 4u);
  auto templates = session->EmbedAll(image.value(), faces.value());
  ASSERT_TRUE(templates.ok()) << templates.status().ToString();

  // The same photo at 60% size, re-encoded as JPEG: every face must match itself.
  const std::string small_path = ::testing::TempDir() + "/sample6_small_" + GetParam() + ".jpg";
  {
    Image small(image->width() * 3 / 5, image->height() * 3 / 5,
                std::vector<uint8_t>(static_cast<size_t>(image->width() * 3 / 5) *
                                     (image->height() * 3 / 5) * 3));
    for (int y = 0; y < small.height(); ++y) {
      for (int x = 0; x < small.width(); ++x) {
        for (int c = 0; c < 3; ++c) {
          small.mutable_data()[(y * small.width() + x) * 3 + c] =
              image->data()[((y * 5 / 3) * image->width() + x * 5 / 3) * 3 + c];
        }
      }
    }
    ASSERT_TRUE(SaveImage(small, small_path).ok());
  }
  auto small = LoadImage(small_path);
  ASSERT_TRUE(small.ok());
  auto small_faces = session->Detect(small.value());
  ASSERT_TRUE(small_faces.ok());
  ASSERT_EQ(small_faces->size(), 4u);
  auto small_templates = session->EmbedAll(small.value(), small_faces.value());
  ASSERT_TRUE(small_templates.ok());
  const RecognizerInfo& info = (*engine)->recognizer();
  ASSERT_EQ((*templates)[0].values.size(), static_cast<size_t>(info.dimensions));
  for (size_t i = 0; i < faces->size(); ++i) {
    // Its counterpart: the face whose box centre is nearest after scaling.
    size_t match = 0;
    float best_distance = 1e9f;
    for (size_t j = 0; j < small_faces->size(); ++j) {
      const float dx = (*small_faces)[j].box.x * 5 / 3 - (*faces)[i].box.x;
      const float dy = (*small_faces)[j].box.y * 5 / 3 - (*faces)[i].box.y;
      if (dx * dx + dy * dy < best_distance) {
        best_distance = dx * dx + dy * dy;
        match = j;
      }
    }
    const float same = CosineSimilarity((*templates)[i], (*small_templates)[match]).value();
    EXPECT_GT(same, info.threshold_fmr_1e4) << "face " << i;
    for (size_t j = 0; j < faces->size(); ++j) {
      if (j == i) continue;
      const float other = CosineSimilarity((*templates)[i], (*templates)[j]).value();
      EXPECT_LT(other, info.threshold_fmr_1e3) << "faces " << i << " and " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Every, RecognizerTest, ::testing::ValuesIn(RecognizerNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

TEST_F(EngineTest, TemplatesAreUnitLengthAndTagged) {
  auto session = NewSession();
  auto image = LoadImage(SamplePath(1));
  ASSERT_TRUE(image.ok());
  auto faces = session->Detect(image.value());
  ASSERT_TRUE(faces.ok());
  ASSERT_FALSE(faces->empty());
  auto t = session->Embed(image.value(), faces->front());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->model, "mobilefacenet");
  EXPECT_EQ(t->values.size(), 192u);
  double norm = 0;
  for (float v : t->values) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  Embedding other = t.value();
  other.model = "another_model";
  EXPECT_FALSE(CosineSimilarity(t.value(), other).ok());
}

TEST_F(EngineTest, SessionsOnSeveralThreadsAgreeWithOneThread) {
  auto image = LoadImage(SamplePath(3));
  ASSERT_TRUE(image.ok());
  auto reference = NewSession()->Detect(image.value());
  ASSERT_TRUE(reference.ok());
  std::vector<size_t> counts(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      auto session = engine_->NewSession();
      if (!session.ok()) return;
      for (int i = 0; i < 3; ++i) {
        auto faces = (*session)->Detect(image.value());
        if (faces.ok() && faces->size() == reference->size()) ++counts[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t c : counts) EXPECT_EQ(c, 3u);
}

TEST_F(EngineTest, RecallModeFindsAtLeastWhatFastModeFinds) {
  auto session = NewSession();
  auto image = LoadImage(SamplePath(4));
  ASSERT_TRUE(image.ok());
  auto fast = session->Detect(image.value());
  DetectOptions recall_options;
  recall_options.mode = DetectorMode::kRecall;
  auto recall = session->Detect(image.value(), recall_options);
  ASSERT_TRUE(fast.ok() && recall.ok());
  EXPECT_GE(recall->size(), fast->size());
}

TEST_F(EngineTest, RejectsBadOptionsAndEmptyImages) {
  auto session = NewSession();
  EXPECT_EQ(session->Detect(Image()).status().code(), StatusCode::kInvalidArgument);
  auto image = LoadImage(SamplePath(1));
  ASSERT_TRUE(image.ok());
  DetectOptions bad;
  bad.score_threshold = 1.5f;
  EXPECT_EQ(session->Detect(image.value(), bad).status().code(), StatusCode::kInvalidArgument);
  for (float min_score : {-0.1f, 1.5f, NAN}) {
    DetectOptions bad_min_score;
    bad_min_score.landmarks_min_score = min_score;
    EXPECT_EQ(session->Detect(image.value(), bad_min_score).status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(ParseDetectorMode("turbo").ok());
}

TEST(EngineCreateTest, UnknownModelAndMissingDirAreErrors) {
  auto unknown = Engine::Create({.model_dir = FACET_MODEL_DIR, .recognizer = "arcface_r100"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("mobilefacenet"), std::string::npos);
  auto missing = Engine::Create({.model_dir = "/nonexistent/models"});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(ConfidenceTest, LogisticThroughCalibratedThresholds) {
  RecognizerInfo info;
  info.threshold_fmr_1e3 = 0.4f;
  info.threshold_fmr_1e4 = 0.5f;
  EXPECT_NEAR(SimilarityToConfidence(0.4f, info), 0.5f, 1e-5);
  EXPECT_NEAR(SimilarityToConfidence(0.5f, info), 0.9f, 1e-5);
  EXPECT_LT(SimilarityToConfidence(0.0f, info), 0.01f);
  EXPECT_GT(SimilarityToConfidence(1.0f, info), 0.99f);
}

}  // namespace
}  // namespace facet
