// The whole pipeline on the XNNPACK backend (the default) against the OpenCV DNN backend (the
// oracle) on three of the pinned sample photos (12 faces): same faces, boxes, landmarks and templates; and the
// backend option's error handling. Models required.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "facet/engine.h"
#include "facet/image.h"
#include "samples.h"

namespace facet {
namespace {

using fixtures::SamplePath;

std::shared_ptr<const Engine> MakeEngine(const std::string& backend, const std::string& recognizer) {
  auto engine = Engine::Create(
      {.model_dir = FACET_MODEL_DIR, .recognizer = recognizer, .num_threads = 1, .backend = backend});
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? engine.value() : nullptr;
}

TEST(BackendEngineTest, UnknownBackendIsAnErrorListingTheKnownOnes) {
  auto engine = Engine::Create({.model_dir = FACET_MODEL_DIR, .backend = "tensorrt"});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("xnnpack, opencv"), std::string::npos)
      << engine.status().ToString();
  EXPECT_EQ(BackendNames(), (std::vector<std::string>{"xnnpack", "opencv"}));
  EXPECT_EQ(EngineOptions().backend, "xnnpack");
}

class BackendEngineTest : public ::testing::TestWithParam<const char*> {};

// Box and landmark coordinates within 0.5 px on 1920-px photos (the networks agree within 1e-4;
// the detector's outputs are in 256-px letterbox units, scaled by 7.5), scores within 1e-3, and
// templates of the same face with cosine similarity above 0.9999.
TEST_P(BackendEngineTest, XnnpackGivesTheSameFacesAndTemplatesAsOpenCv) {
  const char* recognizer = GetParam();
  // 1 thread: ctest runs tests in parallel, and an oversubscribed thread pool only waits.
  auto fast_engine = MakeEngine("xnnpack", recognizer);
  auto reference_engine = MakeEngine("opencv", recognizer);
  ASSERT_TRUE(fast_engine && reference_engine);
  auto fast = fast_engine->NewSession();
  auto reference = reference_engine->NewSession();
  ASSERT_TRUE(fast.ok() && reference.ok());
  int compared = 0;
  for (int sample : {1, 4, 5}) {
    SCOPED_TRACE("sample" + std::to_string(sample));
    auto image = LoadImage(SamplePath(sample));
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    auto a = (*fast)->Detect(image.value());
    auto b = (*reference)->Detect(image.value());
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) {
      const Face& x = (*a)[i];
      const Face& y = (*b)[i];
      EXPECT_NEAR(x.box.x, y.box.x, 0.5f);
      EXPECT_NEAR(x.box.y, y.box.y, 0.5f);
      EXPECT_NEAR(x.box.width, y.box.width, 0.5f);
      EXPECT_NEAR(x.box.height, y.box.height, 0.5f);
      EXPECT_NEAR(x.score, y.score, 1e-3f);
      for (size_t k = 0; k < x.landmarks.size(); ++k) {
        EXPECT_NEAR(x.landmarks[k].x, y.landmarks[k].x, 0.5f);
        EXPECT_NEAR(x.landmarks[k].y, y.landmarks[k].y, 0.5f);
      }
      EXPECT_EQ(x.quality.level, y.quality.level);
    }
    // Each backend's templates of the OpenCV faces: only the recognizer differs.
    auto ta = (*fast)->EmbedAll(image.value(), b.value());
    auto tb = (*reference)->EmbedAll(image.value(), b.value());
    ASSERT_TRUE(ta.ok() && tb.ok());
    for (size_t i = 0; i < ta->size(); ++i) {
      auto cosine = CosineSimilarity((*ta)[i], (*tb)[i]);
      ASSERT_TRUE(cosine.ok());
      EXPECT_GT(cosine.value(), 0.9999f);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12);  // every face of the three photos
}

INSTANTIATE_TEST_SUITE_P(Recognizers, BackendEngineTest,
                         ::testing::Values("mobilefacenet", "dlib_resnet"));

}  // namespace
}  // namespace facet
