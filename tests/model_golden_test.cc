// The converted ONNX models, run by each of facet's inference backends (XNNPACK and OpenCV DNN),
// against golden outputs of the ORIGINAL models: the .tflite graphs computed by an independent
// interpreter (tests/golden/make_goldens.py, tools/convert/tflite_reference.py), and face-api's
// tfjs dlib ResNet run by face-api itself on TensorFlow.js (tests/golden/node/make_dlib_golden.cjs).
// Then the two backends against each other on every model facet runs (BlazeFace has no golden
// of its own: it is the original ONNX file), at several batch sizes, within 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <tuple>

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

std::unique_ptr<nn::Network> Load(const std::string& model, nn::Backend backend, int threads = 1) {
  auto file = nn::ModelFile::Read(std::string(FACET_MODEL_DIR) + "/" + model,
                                  {.backend = backend, .num_threads = threads});
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  auto network = nn::Network::Create(*file.value());
  EXPECT_TRUE(network.ok()) << network.status().ToString();
  return network.ok() ? std::move(network).value() : nullptr;
}

// Max |a - b| <= 1e-4 x max(1, max |b|).
void ExpectClose(const float* actual, const float* expected, size_t count, const std::string& what) {
  float max_ref = 0, max_err = 0;
  for (size_t i = 0; i < count; ++i) {
    max_ref = std::max(max_ref, std::abs(expected[i]));
    max_err = std::max(max_err, std::abs(expected[i] - actual[i]));
  }
  EXPECT_LE(max_err, 1e-4f * std::max(1.0f, max_ref))
      << what << ": max |error| " << max_err << ", max |ref| " << max_ref;
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

class ModelGoldenTest : public ::testing::TestWithParam<std::tuple<GoldenCase, nn::Backend>> {};

TEST_P(ModelGoldenTest, MatchesTheOriginalModel) {
  const GoldenCase& c = std::get<0>(GetParam());
  auto network = Load(c.model, std::get<1>(GetParam()));
  ASSERT_NE(network, nullptr);
  std::vector<cv::Mat> outputs;
  ASSERT_TRUE(network->Forward(FormulaInput(c.n, c.h, c.w, 3, c.seed), &outputs).ok());
  const auto& names = network->output_names();
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
    ExpectClose(out.ptr<float>(), golden.values.data(), golden.values.size(),
                std::string(c.model) + " output " + name);
  }
}

const GoldenCase kOnet{"onet.onnx", "onet_b2", 2, 48, 48, 0.25, {"prob", "bbox", "landmarks"}};
const GoldenCase kRnet{"rnet.onnx", "rnet_b2", 2, 24, 24, 0.5, {"prob", "bbox"}};
const GoldenCase kPnet{"pnet.onnx", "pnet_37x29", 1, 37, 29, 0.75, {"prob", "bbox"}};
const GoldenCase kMobileFaceNet2{"mobilefacenet.onnx", "mobilefacenet_b2", 2, 112, 112, 1.0, {"embedding"}};
const GoldenCase kMobileFaceNet1{"mobilefacenet.onnx", "mobilefacenet_b1", 1, 112, 112, 1.5, {"embedding"}};
const GoldenCase kFaceMesh{"face_mesh.onnx", "face_mesh_b1", 1, 192, 192, 2.0, {"landmarks", "face_flag"}};

std::string CaseName(const ::testing::TestParamInfo<std::tuple<GoldenCase, nn::Backend>>& param_info) {
  return std::string(std::get<0>(param_info.param).stem) + "_" + nn::BackendName(std::get<1>(param_info.param));
}

INSTANTIATE_TEST_SUITE_P(OpenCv, ModelGoldenTest,
                         ::testing::Combine(::testing::Values(kOnet, kRnet, kPnet, kMobileFaceNet2,
                                                              kMobileFaceNet1, kFaceMesh),
                                            ::testing::Values(nn::Backend::kOpenCv)),
                         CaseName);
// P-Net takes any image size (symbolic H and W); XNNPACK fixes shapes per runtime and facet's
// pipeline does not run P-Net, so it is tested on OpenCV only.
INSTANTIATE_TEST_SUITE_P(Xnnpack, ModelGoldenTest,
                         ::testing::Combine(::testing::Values(kOnet, kRnet, kMobileFaceNet2,
                                                              kMobileFaceNet1, kFaceMesh),
                                            ::testing::Values(nn::Backend::kXnnpack)),
                         CaseName);

// Runs `input` through both networks and expects every output of `reference` (by name) within
// ExpectClose's tolerance in `fast`.
void ExpectBackendsAgree(nn::Network& reference, nn::Network& fast, const cv::Mat& input) {
  std::vector<cv::Mat> expected, actual;
  ASSERT_TRUE(reference.Forward(input, &expected).ok());
  const Status s = fast.Forward(input, &actual);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    const auto& names = fast.output_names();
    const auto it = std::find(names.begin(), names.end(), reference.output_names()[k]);
    ASSERT_NE(it, names.end()) << reference.output_names()[k];
    const cv::Mat& out = actual[static_cast<size_t>(it - names.begin())];
    ASSERT_EQ(out.total(), expected[k].total()) << *it;
    ASSERT_EQ(out.dims, expected[k].dims) << *it;
    ExpectClose(out.ptr<float>(), expected[k].ptr<float>(), out.total(), *it);
  }
}

// The same values as an NHWC blob (FormulaInput makes NCHW-shaped ones).
cv::Mat AsNhwc(const cv::Mat& nchw, int n, int h, int w, int c) {
  const int dims[] = {n, h, w, c};
  return cv::Mat(4, dims, CV_32F, const_cast<float*>(nchw.ptr<float>())).clone();
}

// Models of variable input size (RetinaFace, P-Net: symbolic H and W) are lowered again for each
// input size on XNNPACK: every size, and a size seen before (its runtime is kept), must agree
// with OpenCV DNN, which takes any size itself.
struct VariableSizeCase {
  const char* model;
  bool nhwc_input;
  std::vector<std::pair<int, int>> sizes;  // (h, w), in this order
};

class VariableSizeTest : public ::testing::TestWithParam<VariableSizeCase> {};

TEST_P(VariableSizeTest, XnnpackMatchesOpenCvAtEverySize) {
  const VariableSizeCase& c = GetParam();
  auto reference = Load(c.model, nn::Backend::kOpenCv);
  auto fast = Load(c.model, nn::Backend::kXnnpack);
  ASSERT_NE(reference, nullptr);
  ASSERT_NE(fast, nullptr);
  for (const auto& [h, w] : c.sizes) {
    SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w));
    cv::Mat input = FormulaInput(1, h, w, 3, 0.01 * h + w);
    if (c.nhwc_input) input = AsNhwc(input, 1, h, w, 3);
    ExpectBackendsAgree(*reference, *fast, input);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, VariableSizeTest,
    ::testing::Values(
        VariableSizeCase{"retinaface_mnet025.onnx", true, {{480, 640}, {256, 320}, {480, 640}, {96, 704}}},
        VariableSizeCase{"pnet.onnx", false, {{60, 80}, {24, 36}, {60, 80}}}),
    [](const ::testing::TestParamInfo<VariableSizeCase>& param_info) {
      std::string name = param_info.param.model;
      return name.substr(0, name.find('.'));
    });

// RetinaFace's Winograd and stem kernels split over a 2-thread pool (the model takes batch 1
// only): the same outputs as OpenCV DNN.
TEST(XnnpackBackendTest, RetinaFaceOnTwoThreadsMatchesOpenCv) {
  auto reference = Load("retinaface_mnet025.onnx", nn::Backend::kOpenCv);
  auto fast = Load("retinaface_mnet025.onnx", nn::Backend::kXnnpack, 2);
  ASSERT_NE(reference, nullptr);
  ASSERT_NE(fast, nullptr);
  constexpr int kBatch = 1, kHeight = 192, kWidth = 256;
  ExpectBackendsAgree(
      *reference, *fast,
      AsNhwc(FormulaInput(kBatch, kHeight, kWidth, 3, 0.7), kBatch, kHeight, kWidth, 3));
}

TEST(XnnpackBackendTest, VariableSizeModelRejectsASizeItCannotTake) {
  auto network = Load("retinaface_mnet025.onnx", nn::Backend::kXnnpack);
  ASSERT_NE(network, nullptr);
  const int dims[] = {1, 100, 100, 3};  // not a multiple of 32: the FPN's sums do not line up
  cv::Mat input(4, dims, CV_32F, cv::Scalar(0));
  std::vector<cv::Mat> outputs;
  const Status s = network->Forward(input, &outputs);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

// face-api's dlib ResNet against face-api itself (its node-wasm bundle on TensorFlow.js 4.22,
// the original tfjs weights; tests/golden/node/make_dlib_golden.cjs): the formula image
// round(127.5 + 100 sin(0.37 i)), 150x150 RGB, preprocessed as facet does for this model and as
// face-api does: (x - mean RGB) / 255.
class DlibGoldenTest : public ::testing::TestWithParam<nn::Backend> {};

TEST_P(DlibGoldenTest, MatchesFaceApiOnTensorFlowJs) {
  auto network = Load("dlib_resnet.onnx", GetParam());
  ASSERT_NE(network, nullptr);
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
  ASSERT_TRUE(network->Forward(blob, &outputs).ok());
  testing::NpyArray golden;
  std::string error;
  ASSERT_TRUE(testing::ReadNpy(std::string(FACET_GOLDEN_DIR) + "/dlib_resnet_formula.embedding.npy",
                               &golden, &error))
      << error;
  ASSERT_EQ(outputs.front().total(), golden.values.size());
  ExpectClose(outputs.front().ptr<float>(), golden.values.data(), golden.values.size(), "dlib");
}

INSTANTIATE_TEST_SUITE_P(Backends, DlibGoldenTest,
                         ::testing::Values(nn::Backend::kOpenCv, nn::Backend::kXnnpack),
                         [](const ::testing::TestParamInfo<nn::Backend>& param_info) {
                           return std::string(nn::BackendName(param_info.param));
                         });

// XNNPACK against OpenCV DNN (the oracle) on every model of the pipeline, at batch sizes that
// exercise the chunking of batches (kMaxRuntimeBatch) and the same network reused across calls of
// different sizes.
struct EqualityCase {
  const char* model;
  int c, h, w;
  bool nhwc_input;  // BlazeFace takes NHWC
  std::vector<int> batches;
};

void PrintTo(const EqualityCase& c, std::ostream* os) { *os << c.model; }

class BackendEqualityTest : public ::testing::TestWithParam<EqualityCase> {};

TEST_P(BackendEqualityTest, XnnpackMatchesOpenCv) {
  const EqualityCase& c = GetParam();
  auto reference = Load(c.model, nn::Backend::kOpenCv);
  auto fast = Load(c.model, nn::Backend::kXnnpack);
  ASSERT_NE(reference, nullptr);
  ASSERT_NE(fast, nullptr);
  for (int batch : c.batches) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    cv::Mat input = FormulaInput(batch, c.h, c.w, c.c, 0.1 * batch);
    if (c.nhwc_input) input = AsNhwc(input, batch, c.h, c.w, c.c);
    ExpectBackendsAgree(*reference, *fast, input);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pipeline, BackendEqualityTest,
    ::testing::Values(EqualityCase{"blazeface_back_256.onnx", 3, 256, 256, true, {1, 1}},
                      EqualityCase{"onet.onnx", 3, 48, 48, false, {1, 5, 11, 2}},
                      EqualityCase{"mobilefacenet.onnx", 3, 112, 112, false, {1, 3, 1}},
                      EqualityCase{"dlib_resnet.onnx", 3, 150, 150, false, {1, 2}}),
    [](const ::testing::TestParamInfo<EqualityCase>& param_info) {
      std::string name = param_info.param.model;
      return name.substr(0, name.find('.'));
    });

TEST(XnnpackBackendTest, RejectsInputOfTheWrongShape) {
  auto network = Load("mobilefacenet.onnx", nn::Backend::kXnnpack);
  ASSERT_NE(network, nullptr);
  std::vector<cv::Mat> outputs;
  Status s = network->Forward(FormulaInput(1, 96, 112, 3, 0), &outputs);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  auto blaze = Load("blazeface_back_256.onnx", nn::Backend::kXnnpack);
  ASSERT_NE(blaze, nullptr);
  const int dims[] = {2, 256, 256, 3};
  s = blaze->Forward(cv::Mat(4, dims, CV_32F, cv::Scalar(0)), &outputs);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "fixed batch 1: " << s.ToString();
}

}  // namespace
}  // namespace facet
