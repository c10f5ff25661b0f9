// The detector manifest: a valid one round-trips; a wrong family, a missing decoder parameter, an
// ambiguous input size and inconsistent landmarks are kInvalidArgument naming the key.
#include "embed/detector_manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace facet::embed {
namespace {

using Json = nlohmann::json;

// facet's own RetinaFace, described as a registered detector (docs/models.md).
Json Valid() {
  Json levels = Json::array();
  for (int stride : {32, 16, 8}) {
    const double big = stride == 32 ? 512 : stride == 16 ? 128 : 32;
    levels.push_back({{"stride", stride},
                      {"anchor_sizes", {big, big / 2}},
                      {"scores", "cls_stride" + std::to_string(stride)},
                      {"boxes", "bbox_stride" + std::to_string(stride)},
                      {"landmarks", "landmark_stride" + std::to_string(stride)}});
  }
  return {{"kind", "detector"},
          {"name", "retinaface_byo"},
          {"onnx", "retinaface_mnet025.onnx"},
          {"input",
           {{"layout", "NHWC"},
            {"channels", "RGB"},
            {"mean", {127.5, 127.5, 127.5}},
            {"scale", 0.0078125},
            {"multiple_of", 32}}},
          {"decoder",
           {{"family", "retinaface"},
            {"levels", levels},
            {"output_layout", "NHWC"},
            {"anchor_offset", 7.5},
            {"box_variance", {1, 1}},
            {"landmark_spread", {0.18181818, 1}},
            {"scores", "two_class_logits"},
            {"landmarks", 5}}},
          {"score_threshold", 0.75},
          {"licence", "non-commercial research"}};
}

std::string Error(const Json& manifest) {
  auto parsed = ParseDetectorManifest(manifest.dump());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(DetectorManifestTest, ParsesAValidManifestAndRoundTrips) {
  auto m = ParseDetectorManifest(Valid().dump());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "retinaface_byo");
  EXPECT_TRUE(m->nhwc);
  EXPECT_EQ(m->multiple_of, 32);
  EXPECT_EQ(m->width, 0);
  ASSERT_EQ(m->levels.size(), 3u);
  EXPECT_EQ(m->levels[1].stride, 16);
  EXPECT_EQ(m->levels[1].anchor_sizes, std::vector<float>({128, 64}));
  EXPECT_EQ(m->levels[2].landmarks, "landmark_stride8");
  EXPECT_FLOAT_EQ(m->anchor_offset, 7.5f);
  EXPECT_FALSE(m->probabilities);
  EXPECT_EQ(m->landmarks, 5);
  EXPECT_FLOAT_EQ(m->score_threshold, 0.75f);
  auto again = ParseDetectorManifest(DetectorManifestToJson(m.value()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(DetectorManifestToJson(again.value()), DetectorManifestToJson(m.value()));
  EXPECT_EQ(ManifestKind(Valid().dump()).value(), "detector");
}

TEST(DetectorManifestTest, AFixedSizeAndNoLandmarks) {
  Json j = Valid();
  j["input"].erase("multiple_of");
  j["input"]["width"] = 640;
  j["input"]["height"] = 480;
  j["decoder"]["landmarks"] = 0;
  j["decoder"].erase("landmark_spread");
  for (Json& level : j["decoder"]["levels"]) level.erase("landmarks");
  j["decoder"]["scores"] = "two_class_probabilities";
  auto m = ParseDetectorManifest(j.dump());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->width, 640);
  EXPECT_EQ(m->height, 480);
  EXPECT_EQ(m->landmarks, 0);
  EXPECT_TRUE(m->probabilities);
  EXPECT_TRUE(m->levels[0].landmarks.empty());
}

TEST(DetectorManifestTest, EveryMistakeNamesItsKey) {
  struct Case {
    const char* what;
    Json manifest;
    const char* expected;
  };
  std::vector<Case> cases;
  Json j = Valid();
  j["decoder"]["family"] = "scrfd";
  cases.push_back({"family", j, "'decoder.family' \"scrfd\" is not a family"});
  j = Valid();
  j["decoder"].erase("anchor_offset");
  cases.push_back({"no offset", j, "missing key 'decoder.anchor_offset'"});
  j = Valid();
  j["input"]["width"] = 640;
  cases.push_back({"both sizes", j, "not both or neither"});
  j = Valid();
  j["decoder"]["levels"][1]["stride"] = 32;
  cases.push_back({"stride twice", j, "stride 32 twice"});
  j = Valid();
  j["decoder"]["levels"][0]["anchor_sizes"] = Json::array();
  cases.push_back({"no anchors", j, "'decoder.levels[0].anchor_sizes'"});
  j = Valid();
  j["decoder"]["landmarks"] = 0;
  cases.push_back({"landmarks 0 with spread", j, "'decoder.landmark_spread' is given"});
  j = Valid();
  j["decoder"]["landmarks"] = 3;
  cases.push_back({"3 landmarks", j, "'decoder.landmarks' must be 5"});
  j = Valid();
  j["decoder"]["scores"] = "sigmoid";
  cases.push_back({"scores", j, "'decoder.scores' must be"});
  j = Valid();
  j["score_threshold"] = 1;
  cases.push_back({"threshold", j, "'score_threshold' must be in (0, 1)"});
  j = Valid();
  j["decoder"]["levels"][0]["anchors"] = 2;
  cases.push_back({"unknown key", j, "unknown key 'decoder.levels[0].anchors'"});
  j = Valid();
  j["kind"] = "recognizer";
  cases.push_back({"kind", j, "'kind' must be \"detector\""});
  for (const Case& c : cases) {
    const std::string error = Error(c.manifest);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.what << ": " << error;
    EXPECT_NE(error.find("Adding a detector you have"), std::string::npos) << c.what;
  }
}

}  // namespace
}  // namespace facet::embed
