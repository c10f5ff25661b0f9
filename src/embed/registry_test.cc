// Registering a user's ONNX recognizer (embed/registry.h), with facet's own MobileFaceNet file
// standing in for "a model facet does not ship": the checks catch a manifest that does not match
// the file, the registration is self-contained and tamper-evident, and the registered model
// embeds exactly as the built-in one does with the same preprocessing.
#include "embed/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

namespace facet::embed {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("facet_registry_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "models");
    fs::create_directories(root_ / "download");
    fs::copy_file(fs::path(FACET_MODEL_DIR) / "mobilefacenet.onnx",
                  root_ / "download" / "mfn.onnx");
  }
  void TearDown() override { fs::remove_all(root_); }

  static Json Manifest() {
    return {{"kind", "recognizer"},
            {"name", "my_mfn"},
            {"onnx", "mfn.onnx"},
            {"input",
             {{"size", 112},
              {"layout", "NCHW"},
              {"channels", "RGB"},
              {"mean", {127.5, 127.5, 127.5}},
              {"scale", 0.0078125}}},
            {"alignment", {{"template", "arcface_5point"}}},
            {"output", {{"dimensions", 192}}}};
  }
  std::string Write(const Json& manifest, const std::string& file = "manifest.json") {
    const fs::path path = root_ / "download" / file;
    std::ofstream(path) << manifest.dump(2);
    return path.string();
  }
  std::string ModelDir() const { return (root_ / "models").string(); }
  Status Register(const Json& manifest) {
    auto spec = RegisterRecognizer(Write(manifest), ModelDir());
    return spec.ok() ? Status::Ok() : spec.status();
  }

  fs::path root_;
};

TEST_F(RegistryTest, RegistersAndFindsTheModel) {
  auto spec = RegisterRecognizer(Write(Manifest()), ModelDir());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(fs::is_regular_file(root_ / "models" / "registered" / "my_mfn.json"));
  EXPECT_TRUE(fs::is_regular_file(root_ / "models" / "registered" / "my_mfn.onnx"));
  EXPECT_EQ(spec->version.rfind("sha256:", 0), 0u);
  EXPECT_EQ(spec->version.size(), 7u + 64u);
  EXPECT_FALSE(spec->calibrated());
  EXPECT_EQ(RegisteredRecognizerNames(ModelDir()), std::vector<std::string>{"my_mfn"});

  // Self-contained: the download can go.
  fs::remove_all(root_ / "download");
  auto found = FindRecognizer("my_mfn", ModelDir());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->version, spec->version);
  EXPECT_EQ(found->model_file, "registered/my_mfn.onnx");
  EXPECT_EQ(found->max_batch, 0);  // MobileFaceNet's batch is symbolic
  EXPECT_TRUE(found->registered);

  // Built-in names still win and need no directory.
  EXPECT_TRUE(FindRecognizer("mobilefacenet", ModelDir()).ok());
  auto unknown = FindRecognizer("arcface_r100", ModelDir());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("my_mfn"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("dlib_resnet"), std::string::npos);
  EXPECT_FALSE(FindRecognizer("../mobilefacenet", ModelDir()).ok());

  ASSERT_TRUE(SetRegisteredThresholds(ModelDir(), "my_mfn", {0.45f, 0.53f}).ok());
  auto calibrated = FindRecognizer("my_mfn", ModelDir());
  ASSERT_TRUE(calibrated.ok());
  EXPECT_TRUE(calibrated->calibrated());
  EXPECT_FLOAT_EQ(calibrated->threshold_fmr_1e4, 0.53f);
  EXPECT_EQ(calibrated->version, spec->version);  // same file, same version
  EXPECT_FALSE(SetRegisteredThresholds(ModelDir(), "my_mfn", {0.6f, 0.5f}).ok());
  EXPECT_FALSE(SetRegisteredThresholds(ModelDir(), "nobody", {0.4f, 0.5f}).ok());
}

TEST_F(RegistryTest, EmbedsAsTheBuiltInModelDoes) {
  ASSERT_TRUE(Register(Manifest()).ok());
  auto mine = FindRecognizer("my_mfn", ModelDir());
  auto builtin = FindRecognizer("mobilefacenet");
  ASSERT_TRUE(mine.ok() && builtin.ok());
  cv::Mat crop(112, 112, CV_8UC3);
  cv::randu(crop, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(crop, crop, cv::Size(5, 5), 2);
  std::vector<std::vector<float>> a, b;
  for (auto [spec, out] : {std::pair{&mine.value(), &a}, std::pair{&builtin.value(), &b}}) {
    auto file = nn::ModelFile::Read((fs::path(ModelDir()) / spec->model_file).string(),
                                    {.backend = nn::Backend::kXnnpack});
    if (!file.ok())
      file = nn::ModelFile::Read((fs::path(FACET_MODEL_DIR) / spec->model_file).string(),
                                 {.backend = nn::Backend::kXnnpack});
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto recognizer = Recognizer::Create(*spec, *file.value());
    ASSERT_TRUE(recognizer.ok());
    ASSERT_TRUE(recognizer.value()->Embed({crop, crop}, false, out).ok());
  }
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(a[0].size(), 192u);
  for (size_t d = 0; d < 192; ++d) EXPECT_NEAR(a[0][d], b[0][d], 1e-6) << d;

  // The same manifest in BGR order feeds the model other numbers: the setting is honoured.
  Json bgr = Manifest();
  bgr["name"] = "my_mfn_bgr";
  bgr["input"]["channels"] = "BGR";
  ASSERT_TRUE(Register(bgr).ok());
  auto swapped = FindRecognizer("my_mfn_bgr", ModelDir());
  ASSERT_TRUE(swapped.ok());
  EXPECT_TRUE(swapped->bgr);
  auto file = nn::ModelFile::Read((fs::path(ModelDir()) / swapped->model_file).string());
  ASSERT_TRUE(file.ok());
  auto recognizer = Recognizer::Create(swapped.value(), *file.value());
  ASSERT_TRUE(recognizer.ok());
  std::vector<std::vector<float>> c;
  ASSERT_TRUE(recognizer.value()->Embed({crop}, false, &c).ok());
  float largest = 0;
  for (size_t d = 0; d < 192; ++d) largest = std::max(largest, std::fabs(c[0][d] - a[0][d]));
  EXPECT_GT(largest, 1e-3f);
}

TEST_F(RegistryTest, RefusesAManifestThatDoesNotMatchTheFile) {
  struct Case {
    const char* what;
    Json manifest;
    const char* expect;
  };
  std::vector<Case> cases;
  Json dims = Manifest();
  dims["output"]["dimensions"] = 512;
  cases.push_back({"output size", dims, "output.dimensions 512"});
  Json size = Manifest();
  size["input"]["size"] = 128;
  cases.push_back({"input size", size, "the manifest describes"});
  Json layout = Manifest();
  layout["input"]["layout"] = "NHWC";
  cases.push_back({"layout", layout, "NHWC"});
  Json sha = Manifest();
  sha["sha256"] = std::string(64, '0');
  cases.push_back({"sha256", sha, "sha256 is"});
  Json builtin = Manifest();
  builtin["name"] = "MobileFaceNet";
  cases.push_back({"built-in name", builtin, "built-in"});
  Json missing = Manifest();
  missing["onnx"] = "nowhere.onnx";
  cases.push_back({"missing file", missing, "no such file"});
  Json not_onnx = Manifest();
  not_onnx["onnx"] = "manifest.json";
  cases.push_back({"not an ONNX file", not_onnx, ""});
  Json detector = Manifest();
  detector["kind"] = "detector";
  cases.push_back({"detector", detector, "a detector's manifest"});
  for (const Case& c : cases) {
    Status status = Register(c.manifest);
    EXPECT_FALSE(status.ok()) << c.what;
    EXPECT_NE(status.message().find(c.expect), std::string::npos)
        << c.what << ": " << status.ToString();
  }
  // Nothing was written by a refused manifest.
  EXPECT_TRUE(RegisteredRecognizerNames(ModelDir()).empty());
  EXPECT_FALSE(fs::exists(root_ / "models" / "registered" / "my_mfn.onnx"));

  ASSERT_TRUE(Register(Manifest()).ok());
  Status again = Register(Manifest());
  EXPECT_NE(again.message().find("already registered"), std::string::npos) << again.ToString();
  EXPECT_TRUE(RegisterRecognizer(Write(Manifest()), ModelDir(), {.replace = true}).ok());
}

TEST_F(RegistryTest, ATamperedRegistrationIsAnError) {
  ASSERT_TRUE(Register(Manifest()).ok());
  {
    std::ofstream onnx(root_ / "models" / "registered" / "my_mfn.onnx",
                       std::ios::binary | std::ios::app);
    onnx << "x";
  }
  auto found = FindRecognizer("my_mfn", ModelDir());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(found.status().message().find("sha256"), std::string::npos);

  std::ofstream(root_ / "models" / "registered" / "my_mfn.json") << "{\"kind\": \"recognizer\"";
  auto broken = FindRecognizer("my_mfn", ModelDir());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("my_mfn.json"), std::string::npos);
}

}  // namespace
}  // namespace facet::embed
