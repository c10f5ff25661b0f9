// The converted ONNX models, run by facet's inference path (OpenCV DNN), against golden outputs
// of the ORIGINAL models: the .tflite graphs computed by an independent interpreter
// (tests/golden/make_goldens.py, tools/convert/tflite_reference.py), and face-api's tfjs dlib
// ResNet run by face-api itself on TensorFlow.js (tests/golden/node/make_dlib_golden.cjs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include "nn/network.h"
#include "npy.h"

namespace facet {
namespace {

// The formula make_goldens.py uses, in NHWC, returned as an NCHW blob.
cv::Mat FormulaInput(int n, int h, int w, int c, double seed) {
  const int dims[] = {n, c, h, w};
  cv::Mat blob(4, dims, CV_32F);
  float* data = blob.ptr<float>();
  for (int64_t i = 0; i < static_cast<int64_t>(n) * h * w * c; ++i) {
    const int64_t ch = i % c, x = (i / c) % w, y = (i / c / w) % h, b = i / c / w / h;
    data[((b * c + ch) * h + y) * w + x] = static_cast<float>(0.9 * std::sin(0.37 * i + seed));
  }
  return blob;
}

struct GoldenCase {
  const char* model;
  const char* stem;
  int n, h, w;
  double seed;
  std::vector<const char*> outputs;
};

// Printed by gtest in test names and failures.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.stem; }

class ModelGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(ModelGoldenTest, MatchesTheOriginalModel) {
  const GoldenCase& c = GetParam();
  auto file = nn::ModelFile::Read(std::string(FACET_MODEL_DIR) + "/" + c.model);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto network = nn::Network::Create(*file.value());
  ASSERT_TRUE(network.ok()) << network.status().ToString();
  std::vector<cv::Mat> outputs;
  ASSERT_TRUE((*network)->Forward(FormulaInput(c.n, c.h, c.w, 3, c.seed), &outputs).ok());
  const auto& names = (*network)->output_names();
  for (const char* name : c.outputs) {
    testing::NpyArray golden;
    std::string error;
    ASSERT_TRUE(testing::ReadNpy(std::string(FACET_GOLDEN_DIR) + "/" + c.stem + "." +
                                     name + ".npy",
                                 &golden, &error))
        << error;
    const auto it = std::find(names.begin(), names.end(), name);
    ASSERT_NE(it, names.end()) << c.model << " has no output " << name;
    const cv::Mat& out = outputs[static_cast<size_t>(it - names.begin())];
    ASSERT_EQ(out.total(), golden.values.size()) << name;
    float max_ref = 0, max_err = 0;
    for (size_t i = 0; i < golden.values.size(); ++i) {
      max_ref = std::max(max_ref, std::abs(golden.values[i]));
      max_err = std::max(max_err, std::abs(golden.values[i] - out.ptr<float>()[i]));
    }
    EXPECT_LE(max_err, 1e-4f * std::max(1.0f, max_ref))
        << c.model << " output " << name << ": max |error| " << max_err << ", max |ref| " << max_ref;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Converted, ModelGoldenTest,
    ::testing::Values(GoldenCase{"onet.onnx", "onet_b2", 2, 48, 48, 0.25, {"prob", "bbox", "landmarks"}},
                      GoldenCase{"rnet.onnx", "rnet_b2", 2, 24, 24, 0.5, {"prob", "bbox"}},
                      GoldenCase{"pnet.onnx", "pnet_37x29", 1, 37, 29, 0.75, {"prob", "bbox"}},
                      GoldenCase{"mobilefacenet.onnx", "mobilefacenet_b2", 2, 112, 112, 1.0, {"embedding"}},
                      GoldenCase{"mobilefacenet.onnx", "mobilefacenet_b1", 1, 112, 112, 1.5, {"embedding"}}),
    [](const ::testing::TestParamInfo<GoldenCase>& param_info) { return std::string(param_info.param.stem); });

// face-api's dlib ResNet against face-api itself (its node-wasm bundle on TensorFlow.js 4.22,
// the original tfjs weights; tests/golden/node/make_dlib_golden.cjs): the formula image
// round(127.5 + 100 sin(0.37 i)), 150x150 RGB, preprocessed as facet does for this model and as
// face-api does: (x - mean RGB) / 255.
TEST(DlibGoldenTest, MatchesFaceApiOnTensorFlowJs) {
  auto file = nn::ModelFile::Read(std::string(FACET_MODEL_DIR) + "/dlib_resnet.onnx");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto network = nn::Network::Create(*file.value());
  ASSERT_TRUE(network.ok()) << network.status().ToString();
  constexpr int kSide = 150;
  const double mean[3] = {122.782, 117.001, 104.298};
  const int dims[] = {1, 3, kSide, kSide};
  cv::Mat blob(4, dims, CV_32F);
  for (int64_t i = 0; i < kSide * kSide * 3; ++i) {
    const int64_t c = i % 3, x = (i / 3) % kSide, y = i / 3 / kSide;
    const double pixel = std::round(127.5 + 100 * std::sin(0.37 * static_cast<double>(i)));
    blob.ptr<float>()[(c * kSide + y) * kSide + x] = static_cast<float>((pixel - mean[c]) / 255.0);
  }
  std::vector<cv::Mat> outputs;
  ASSERT_TRUE((*network)->Forward(blob, &outputs).ok());
  testing::NpyArray golden;
  std::string error;
  ASSERT_TRUE(testing::ReadNpy(std::string(FACET_GOLDEN_DIR) + "/dlib_resnet_formula.embedding.npy",
                               &golden, &error))
      << error;
  ASSERT_EQ(outputs.front().total(), golden.values.size());
  float max_ref = 0, max_err = 0;
  for (size_t i = 0; i < golden.values.size(); ++i) {
    max_ref = std::max(max_ref, std::abs(golden.values[i]));
    max_err = std::max(max_err, std::abs(golden.values[i] - outputs.front().ptr<float>()[i]));
  }
  EXPECT_LE(max_err, 1e-4f * std::max(1.0f, max_ref)) << "max |error| " << max_err;
}

}  // namespace
}  // namespace facet
