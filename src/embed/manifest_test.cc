// The recognizer manifest: a valid one round-trips; every kind of bad input is a clear
// kInvalidArgument naming the key, never a crash or a silent default.
#include "embed/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace facet::embed {
namespace {

using Json = nlohmann::json;

Json Valid() {
  return Json::parse(R"({
    "kind": "recognizer",
    "name": "faceplugin_mfn",
    "onnx": "fr_feature.onnx",
    "sha256": "87AACDFE57510DB2AF90C0251DF680E8EEC88F122EE94712121D09BCAAAF3581",
    "input": {"size": 112, "layout": "NCHW", "channels": "RGB",
              "mean": [127, 127, 127], "scale": 0.0078125},
    "alignment": {"template": "arcface_5point"},
    "output": {"dimensions": 512},
    "licence": "unknown"
  })");
}

// The error message of parsing `manifest`, or "" when it parsed.
std::string Error(const Json& manifest) {
  auto parsed = ParseRecognizerManifest(manifest.dump());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(ManifestTest, ParsesAValidManifestAndRoundTrips) {
  auto m = ParseRecognizerManifest(Valid().dump());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "faceplugin_mfn");
  EXPECT_EQ(m->sha256, "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581");
  EXPECT_EQ(m->input_size, 112);
  EXPECT_FALSE(m->nhwc);
  EXPECT_FALSE(m->bgr);
  EXPECT_DOUBLE_EQ(m->mean[2], 127);
  EXPECT_DOUBLE_EQ(m->scale, 1.0 / 128);
  EXPECT_EQ(m->crop_padding, 0);
  EXPECT_EQ(m->dimensions, 512);
  EXPECT_FALSE(m->thresholds.has_value());

  Json j = Valid();
  j["input"]["layout"] = "NHWC";
  j["input"]["channels"] = "BGR";
  j["alignment"]["padding"] = 0.25;
  j["alignment"]["shift_y"] = -0.1;
  j["thresholds"] = {{"fmr_1e-3", 0.3}, {"fmr_1e-4", 0.4}};
  auto full = ParseRecognizerManifest(j.dump());
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_TRUE(full->nhwc);
  EXPECT_TRUE(full->bgr);
  EXPECT_FLOAT_EQ(full->crop_padding, 0.25f);
  ASSERT_TRUE(full->thresholds.has_value());
  EXPECT_FLOAT_EQ(full->thresholds->fmr_1e4, 0.4f);

  auto again = ParseRecognizerManifest(RecognizerManifestToJson(full.value()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->name, full->name);
  EXPECT_EQ(again->sha256, full->sha256);
  EXPECT_EQ(again->nhwc, full->nhwc);
  EXPECT_EQ(again->bgr, full->bgr);
  EXPECT_FLOAT_EQ(again->crop_shift_y, full->crop_shift_y);
  EXPECT_FLOAT_EQ(again->thresholds->fmr_1e3, 0.3f);
  EXPECT_EQ(again->licence, "unknown");
}

TEST(ManifestTest, RejectsMalformedOrHostileJson) {
  const std::vector<std::string> texts = {"",
                                          "{",
                                          "[]",
                                          "null",
                                          "42",
                                          "\"recognizer\"",
                                          "{\"kind\": \"recognizer\",}",
                                          std::string(70000, ' ') + "{}",
                                          std::string(60000, '['),
                                          std::string(30000, '[') + std::string(30000, ']')};
  for (const std::string& text : texts) {
    auto parsed = ParseRecognizerManifest(text);
    EXPECT_FALSE(parsed.ok()) << text.substr(0, 40);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
  std::string nul = Valid().dump();
  nul.insert(nul.find("faceplugin"), std::string(1, '\0'));
  EXPECT_FALSE(ParseRecognizerManifest(nul).ok());
  // A key given twice: nlohmann would keep the last silently (registered as "other").
  std::string twice = Valid().dump();
  twice.insert(twice.rfind('}'), ",\"name\":\"other\"");
  auto duplicate = ParseRecognizerManifest(twice);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.status().message().find("\"name\" appears twice"), std::string::npos)
      << duplicate.status().ToString();
}

TEST(ManifestTest, RejectsUnknownKeysAtEveryLevel) {
  Json top = Valid();
  top["treshold"] = 0.4;
  EXPECT_NE(Error(top).find("unknown key 'treshold'"), std::string::npos) << Error(top);
  Json input = Valid();
  input["input"]["std"] = {1, 1, 1};
  EXPECT_NE(Error(input).find("unknown key 'input.std'"), std::string::npos) << Error(input);
  Json alignment = Valid();
  alignment["alignment"]["points"] = 68;
  EXPECT_NE(Error(alignment).find("'alignment.points'"), std::string::npos);
  Json output = Valid();
  output["output"]["name"] = "fc1";
  EXPECT_NE(Error(output).find("'output.name'"), std::string::npos);
  Json thresholds = Valid();
  thresholds["thresholds"] = {{"fmr_1e-3", 0.3}, {"fmr_1e-4", 0.4}, {"fmr_1e-5", 0.5}};
  EXPECT_NE(Error(thresholds).find("'thresholds.fmr_1e-5'"), std::string::npos);
}

TEST(ManifestTest, RejectsMissingKeysAndWrongTypes) {
  for (const char* key : {"kind", "name", "onnx", "input", "alignment", "output"}) {
    Json j = Valid();
    j.erase(key);
    EXPECT_NE(Error(j).find(std::string("missing key '") + key + "'"), std::string::npos)
        << key << ": " << Error(j);
  }
  for (const char* key : {"size", "layout", "channels", "mean", "scale"}) {
    Json j = Valid();
    j["input"].erase(key);
    EXPECT_NE(Error(j).find(std::string("'input.") + key + "'"), std::string::npos) << Error(j);
  }
  const std::pair<const char*, Json> wrong[] = {
      {"name", 7},         {"onnx", Json::array()},      {"sha256", 1},
      {"input", "112"},    {"alignment", Json::array()}, {"output", 512},
      {"thresholds", 0.4}, {"description", false}};
  for (const auto& [key, value] : wrong) {
    Json j = Valid();
    j[key] = value;
    EXPECT_NE(Error(j).find(std::string("'") + key + "'"), std::string::npos)
        << key << ": " << Error(j);
  }
  Json size = Valid();
  size["input"]["size"] = "112";
  EXPECT_NE(Error(size).find("'input.size' must be an integer"), std::string::npos);
  Json fraction = Valid();
  fraction["input"]["size"] = 112.5;
  EXPECT_NE(Error(fraction).find("'input.size' must be an integer"), std::string::npos);
  Json dims = Valid();
  dims["output"]["dimensions"] = true;
  EXPECT_NE(Error(dims).find("'output.dimensions'"), std::string::npos);
}

TEST(ManifestTest, RejectsValuesOutOfRange) {
  const std::pair<Json::json_pointer, Json> bad[] = {
      {Json::json_pointer("/input/size"), 0},
      {Json::json_pointer("/input/size"), 100000},
      {Json::json_pointer("/input/size"), -112},
      {Json::json_pointer("/input/layout"), "nchw"},
      {Json::json_pointer("/input/layout"), "CHW"},
      {Json::json_pointer("/input/channels"), "GRAY"},
      {Json::json_pointer("/input/mean"), Json::array({127, 127})},
      {Json::json_pointer("/input/mean"), Json::array({127, "127", 127})},
      {Json::json_pointer("/input/mean"), Json::array({127, 127, 1e300})},
      {Json::json_pointer("/input/scale"), 0},
      {Json::json_pointer("/input/scale"), -0.0078125},
      {Json::json_pointer("/alignment/template"), "dlib_68"},
      {Json::json_pointer("/alignment/padding"), 5},
      {Json::json_pointer("/alignment/shift_y"), -2},
      {Json::json_pointer("/output/dimensions"), 0},
      {Json::json_pointer("/output/dimensions"), 1 << 20},
      {Json::json_pointer("/sha256"), "87aacdfe"},
      {Json::json_pointer("/sha256"), std::string(64, 'g')},
      {Json::json_pointer("/onnx"), ""},
      {Json::json_pointer("/kind"), "Recognizer"},
  };
  for (const auto& [where, value] : bad) {
    Json j = Valid();
    j[where] = value;
    EXPECT_FALSE(Error(j).empty()) << where.to_string() << " = " << value.dump();
  }
  Json order = Valid();
  order["thresholds"] = {{"fmr_1e-3", 0.5}, {"fmr_1e-4", 0.4}};
  EXPECT_NE(Error(order).find("greater"), std::string::npos) << Error(order);
  Json one = Valid();
  one["thresholds"] = {{"fmr_1e-3", 0.5}};
  EXPECT_NE(Error(one).find("'thresholds.fmr_1e-4'"), std::string::npos) << Error(one);
  Json outside = Valid();
  outside["thresholds"] = {{"fmr_1e-3", 0.5}, {"fmr_1e-4", 1.5}};
  EXPECT_FALSE(Error(outside).empty());
}

TEST(ManifestTest, RejectsUnsafeNames) {
  for (const char* name : {"", "../evil", "a/b", "..", ".hidden", "a..b", "-x", "name with space",
                           "back\\slash", "x\n", "ünïcode"}) {
    Json j = Valid();
    j["name"] = name;
    EXPECT_NE(Error(j).find("not a safe model name"), std::string::npos)
        << name << ": " << Error(j);
  }
  Json longer = Valid();
  longer["name"] = std::string(65, 'a');
  EXPECT_FALSE(Error(longer).empty());
  EXPECT_TRUE(IsSafeModelName("arcface_r50-v1.2"));
  EXPECT_TRUE(IsSafeModelName(std::string(64, 'a')));
}

TEST(ManifestTest, ADetectorsManifestIsNotARecognizers) {
  Json j = Valid();
  j["kind"] = "detector";
  const std::string error = Error(j);
  EXPECT_NE(error.find("a detector's manifest"), std::string::npos) << error;
}

}  // namespace
}  // namespace facet::embed
