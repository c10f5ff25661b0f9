// The ONNX reader, the NHWC lowering and the XNNPACK backend on small models written by this
// test (no model files needed: runs under ASan in CI). The OpenCV DNN backend is the oracle.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nn/network.h"
#include "nn/nhwc_graph.h"
#include "nn/onnx.h"

// Counts global operator new calls, to check that a Network's steady state allocates nothing.
namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC flags free() of memory from a replaced operator new; it is malloc's, by construction here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace facet::nn {
namespace {

// ---- a tiny protobuf / ONNX writer ---------------------------------------------------------------

class Pb {
 public:
  Pb& Varint(uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
    return *this;
  }
  Pb& Key(int field, int wire) { return Varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire)); }
  Pb& Int(int field, int64_t v) { return Key(field, 0).Varint(static_cast<uint64_t>(v)); }
  Pb& Bytes(int field, const std::string& s) {
    Key(field, 2).Varint(s.size());
    buf_ += s;
    return *this;
  }
  Pb& Msg(int field, const Pb& m) { return Bytes(field, m.buf_); }
  Pb& Float(int field, float f) {
    Key(field, 5);
    char b[4];
    std::memcpy(b, &f, 4);
    buf_.append(b, 4);
    return *this;
  }
  Pb& PackedInts(int field, const std::vector<int64_t>& v) {
    Pb inner;
    for (int64_t x : v) inner.Varint(static_cast<uint64_t>(x));
    return Bytes(field, inner.buf_);
  }
  const std::string& str() const { return buf_; }

 private:
  std::string buf_;
};

Pb FloatTensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  std::string raw(v.size() * 4, '\0');
  std::memcpy(raw.data(), v.data(), raw.size());
  Pb t;
  t.PackedInts(1, dims).Int(2, 1).Bytes(8, name).Bytes(9, raw);
  return t;
}

Pb Int64Tensor(const std::string& name, const std::vector<int64_t>& v) {
  Pb t;  // int64_data, not raw: the other storage the reader must handle
  t.PackedInts(1, {static_cast<int64_t>(v.size())}).Int(2, 7).Bytes(8, name).PackedInts(7, v);
  return t;
}

struct Attr {
  Pb pb;
  static Attr Int(const std::string& n, int64_t v) { Attr a; a.pb.Bytes(1, n).Int(3, v).Int(20, 2); return a; }
  static Attr Float(const std::string& n, float v) { Attr a; a.pb.Bytes(1, n).Float(2, v).Int(20, 1); return a; }
  static Attr String(const std::string& n, const std::string& v) {
    Attr a;
    a.pb.Bytes(1, n).Bytes(4, v).Int(20, 3);
    return a;
  }
  static Attr Ints(const std::string& n, const std::vector<int64_t>& v, bool packed = true) {
    Attr a;
    a.pb.Bytes(1, n);
    if (packed) {
      a.pb.PackedInts(8, v);
    } else {
      for (int64_t x : v) a.pb.Int(8, x);
    }
    a.pb.Int(20, 7);
    return a;
  }
};

class Graph {
 public:
  Graph& Node(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
              const std::vector<Attr>& attrs = {}) {
    Pb n;
    for (const auto& s : in) n.Bytes(1, s);
    for (const auto& s : out) n.Bytes(2, s);
    n.Bytes(3, op + std::to_string(count_++)).Bytes(4, op);
    for (const Attr& a : attrs) n.Msg(5, a.pb);
    g_.Msg(1, n);
    return *this;
  }
  Graph& Init(const Pb& tensor) {
    g_.Msg(5, tensor);
    return *this;
  }
  Graph& Weights(const std::string& name, const std::vector<int64_t>& dims, float scale, float phase) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * std::sin(0.61f * static_cast<float>(i) + phase);
    return Init(FloatTensor(name, dims, v));
  }
  Graph& Value(int field, const std::string& name, const std::vector<int64_t>& dims) {
    Pb shape;
    for (int64_t d : dims) {
      Pb dim;
      if (d < 0) {
        dim.Bytes(2, "N");
      } else {
        dim.Int(1, d);
      }
      shape.Msg(1, dim);
    }
    Pb tensor_type;
    tensor_type.Int(1, 1).Msg(2, shape);
    Pb type;
    type.Msg(1, tensor_type);
    Pb info;
    info.Bytes(1, name).Msg(2, type);
    g_.Msg(field, info);
    return *this;
  }
  Graph& Input(const std::string& n, const std::vector<int64_t>& d) { return Value(11, n, d); }
  Graph& Output(const std::string& n, const std::vector<int64_t>& d) { return Value(12, n, d); }
  std::string Model(int opset) const {
    Pb opset_id;
    opset_id.Bytes(1, "").Int(2, opset);
    Pb m;
    m.Int(1, 7).Bytes(2, "facet-nn-test").Msg(8, opset_id).Msg(7, g_);
    return m.str();
  }

 private:
  Pb g_;
  int count_ = 0;
};

// Every op facet's models use, NCHW, symbolic batch; the residual chain (2 blocks) is fused.
std::string ConvNetModel() {
  Graph g;
  g.Input("input", {-1, 3, 9, 11});
  g.Weights("c1_w", {8, 3, 3, 3}, 0.4f, 0.0f).Weights("c1_b", {8}, 0.1f, 1.0f);
  g.Node("Conv", {"input", "c1_w", "c1_b"}, {"c1"}, {Attr::Ints("kernel_shape", {3, 3}), Attr::Ints("pads", {1, 1, 1, 1}, false)});
  g.Node("Relu", {"c1"}, {"r1"});
  std::string x = "r1";
  for (int b = 0; b < 2; ++b) {
    const std::string p = "b" + std::to_string(b);
    g.Weights(p + "_dw", {8, 1, 3, 3}, 0.5f, 0.3f * b).Weights(p + "_dwb", {8}, 0.1f, 2.0f);
    g.Weights(p + "_pw", {8, 8, 1, 1}, 0.3f, 0.7f * b).Weights(p + "_pwb", {8}, 0.1f, 3.0f);
    g.Node("Conv", {x, p + "_dw", p + "_dwb"}, {p + "_d"},
           {Attr::Int("group", 8), Attr::Ints("kernel_shape", {3, 3}), Attr::Ints("pads", {1, 1, 1, 1}),
            Attr::Ints("strides", {1, 1})});
    g.Node("Conv", {p + "_d", p + "_pw", p + "_pwb"}, {p + "_p"}, {Attr::Ints("kernel_shape", {1, 1})});
    g.Node("Add", {p + "_p", x}, {p + "_s"});
    g.Node("Relu", {p + "_s"}, {p + "_r"});
    x = p + "_r";
  }
  g.Node("Identity", {x}, {"feature"});
  g.Node("MaxPool", {x}, {"mp"}, {Attr::Ints("kernel_shape", {2, 2}), Attr::Ints("strides", {2, 2}), Attr::Int("ceil_mode", 1)});
  g.Weights("slope", {8, 1, 1}, 0.3f, 0.5f);
  g.Node("PRelu", {"mp", "slope"}, {"pr"});
  g.Node("Pad", {"pr"}, {"pad"}, {Attr::String("mode", "constant"), Attr::Ints("pads", {0, 0, 1, 0, 0, 0, 0, 1}), Attr::Float("value", 0.0f)});
  g.Weights("c2_w", {16, 4, 3, 3}, 0.3f, 1.5f).Weights("c2_b", {16}, 0.1f, 4.0f);
  g.Node("Conv", {"pad", "c2_w", "c2_b"}, {"c2"},
         {Attr::Int("group", 2), Attr::Ints("kernel_shape", {3, 3}), Attr::Ints("strides", {2, 2})});
  g.Node("Clip", {"c2"}, {"clip"}, {Attr::Float("min", 0.0f), Attr::Float("max", 0.6f)});
  g.Node("AveragePool", {"clip"}, {"ap"}, {Attr::Ints("kernel_shape", {2, 2})});
  g.Node("Flatten", {"ap"}, {"flat"}, {Attr::Int("axis", 1)});
  g.Weights("fc1_w", {10, 32}, 0.2f, 0.2f).Weights("fc1_b", {10}, 0.1f, 5.0f);
  g.Node("Gemm", {"flat", "fc1_w", "fc1_b"}, {"fc1"}, {Attr::Int("transB", 1)});
  g.Node("Sigmoid", {"fc1"}, {"probs"});
  g.Weights("fc2_w", {4, 32}, 0.2f, 0.9f);
  g.Node("Gemm", {"flat", "fc2_w"}, {"fc2"}, {Attr::Int("transB", 1)});
  g.Node("Softmax", {"fc2"}, {"soft"}, {Attr::Int("axis", 1)});
  g.Node("GlobalAveragePool", {"clip"}, {"gap"});
  g.Output("feature", {-1, 8, 9, 11}).Output("probs", {-1, 10}).Output("soft", {-1, 4}).Output("gap", {-1, 16, 1, 1});
  return g.Model(10);
}

// BlazeFace's layout tricks: NHWC input transposed, zero channels concatenated, output reshaped.
std::string NhwcModel() {
  Graph g;
  g.Input("input:0", {1, 9, 11, 3});
  g.Node("Transpose", {"input:0"}, {"nchw"}, {Attr::Ints("perm", {0, 3, 1, 2})});
  g.Weights("w", {8, 3, 5, 5}, 0.3f, 0.1f).Weights("b", {8}, 0.1f, 0.2f);
  g.Node("Conv", {"nchw", "w", "b"}, {"c"}, {Attr::Ints("kernel_shape", {5, 5}), Attr::Ints("pads", {1, 1, 2, 2}), Attr::Ints("strides", {2, 2})});
  g.Init(Int64Tensor("zshape", {1, 8, 4, 5}));
  g.Node("ConstantOfShape", {"zshape"}, {"zeros"});
  g.Node("Concat", {"c", "zeros"}, {"cat"}, {Attr::Int("axis", 1)});
  g.Node("Transpose", {"cat"}, {"nhwc"}, {Attr::Ints("perm", {0, 2, 3, 1})});
  g.Init(Int64Tensor("shape", {1, 20, 16}));
  g.Node("Reshape", {"nhwc", "shape"}, {"out"});
  g.Output("out", {1, 20, 16});
  return g.Model(12);
}

// A recognizer's embedding head as MobileFaceNet / ArcFace ONNX exports write it: a global
// depthwise convolution to 1x1, a 1x1 convolution, PRelu, then Reshape [N,C,1,1] -> [N,C] (fixed
// batch 1, as such exports declare it) and one with -1 for the batch-free form.
std::string EmbeddingHeadModel(int64_t batch) {
  Graph g;
  g.Input("input", {batch, 4, 7, 7});
  g.Weights("gdc_w", {4, 1, 7, 7}, 0.2f, 0.4f).Weights("gdc_b", {4}, 0.1f, 0.6f);
  g.Node("Conv", {"input", "gdc_w", "gdc_b"}, {"gdc"},
         {Attr::Int("group", 4), Attr::Ints("kernel_shape", {7, 7})});
  g.Weights("lin_w", {6, 4, 1, 1}, 0.3f, 1.1f).Weights("lin_b", {6}, 0.1f, 1.7f);
  g.Node("Conv", {"gdc", "lin_w", "lin_b"}, {"lin"}, {Attr::Ints("kernel_shape", {1, 1})});
  g.Weights("slope", {6, 1, 1}, 0.3f, 0.5f);
  g.Node("PRelu", {"lin", "slope"}, {"pr"});
  g.Init(Int64Tensor("shape", {batch, 6}));
  g.Node("Reshape", {"pr", "shape"}, {"embedding"});
  g.Output("embedding", {batch, 6});
  return g.Model(9);
}

std::string WriteModel(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

cv::Mat Input(std::vector<int> dims, float phase) {
  cv::Mat m(static_cast<int>(dims.size()), dims.data(), CV_32F);
  for (size_t i = 0; i < m.total(); ++i) m.ptr<float>()[i] = std::sin(0.37f * static_cast<float>(i) + phase);
  return m;
}

void ExpectBackendsAgree(const std::string& path, const std::vector<std::vector<int>>& inputs) {
  auto reference_file = ModelFile::Read(path, {.backend = Backend::kOpenCv});
  auto fast_file = ModelFile::Read(path, {.backend = Backend::kXnnpack});
  ASSERT_TRUE(reference_file.ok()) << reference_file.status().ToString();
  ASSERT_TRUE(fast_file.ok()) << fast_file.status().ToString();
  auto reference = Network::Create(*reference_file.value());
  auto fast = Network::Create(*fast_file.value());
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  for (size_t t = 0; t < inputs.size(); ++t) {
    SCOPED_TRACE("input " + std::to_string(t));
    const cv::Mat input = Input(inputs[t], static_cast<float>(t));
    std::vector<cv::Mat> expected, actual;
    const Status r = (*reference)->Forward(input, &expected);
    ASSERT_TRUE(r.ok()) << r.ToString();
    const Status s = (*fast)->Forward(input, &actual);
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (size_t k = 0; k < expected.size(); ++k) {
      const std::string& name = (*reference)->output_names()[k];
      const auto& names = (*fast)->output_names();
      const auto it = std::find(names.begin(), names.end(), name);
      ASSERT_NE(it, names.end()) << name;
      const cv::Mat& out = actual[static_cast<size_t>(it - names.begin())];
      ASSERT_EQ(out.total(), expected[k].total()) << name;
      float max_err = 0;
      for (size_t i = 0; i < out.total(); ++i) {
        max_err = std::max(max_err, std::abs(out.ptr<float>()[i] - expected[k].ptr<float>()[i]));
      }
      EXPECT_LE(max_err, 1e-5f) << name;
    }
  }
}

TEST(OnnxTest, ReadsNodesAttributesInitializersAndShapes) {
  const std::string bytes = ConvNetModel();
  auto model = onnx::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->ir_version, 7);
  EXPECT_EQ(model->opset, 10);
  ASSERT_EQ(model->inputs.size(), 1u);
  EXPECT_EQ(model->inputs[0].dims, (std::vector<int64_t>{-1, 3, 9, 11}));
  EXPECT_EQ(model->outputs.size(), 4u);
  const onnx::Node& conv = model->nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.Ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));  // written unpacked
  EXPECT_EQ(conv.Int("group", 1), 1);
  const onnx::Tensor& w = model->initializers[0];
  EXPECT_EQ(w.name, "c1_w");
  EXPECT_EQ(w.dims, (std::vector<int64_t>{8, 3, 3, 3}));
  ASSERT_EQ(w.floats.size(), 216u);
  EXPECT_FLOAT_EQ(w.floats[5], 0.4f * std::sin(0.61f * 5));
  const std::string nhwc = NhwcModel();
  auto m2 = onnx::Parse(reinterpret_cast<const uint8_t*>(nhwc.data()), nhwc.size());
  ASSERT_TRUE(m2.ok()) << m2.status().ToString();
  bool found = false;
  for (const onnx::Tensor& t : m2->initializers) {
    if (t.name == "shape") {
      EXPECT_EQ(t.ints, (std::vector<int64_t>{1, 20, 16}));
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(OnnxTest, EveryTruncationAndByteFlipIsAnErrorOrAModelNeverACrash) {
  const std::string bytes = NhwcModel();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto model = onnx::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), n);
    if (!model.ok()) {
      EXPECT_EQ(model.status().code(), StatusCode::kCorruptData);
    } else {
      (void)LowerToNhwc(model.value());  // must not crash either
    }
  }
  uint32_t state = 12345;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string corrupt = bytes;
    state = state * 1664525u + 1013904223u;
    corrupt[state % corrupt.size()] = static_cast<char>(state >> 24);
    auto model = onnx::Parse(reinterpret_cast<const uint8_t*>(corrupt.data()), corrupt.size());
    if (model.ok()) (void)LowerToNhwc(model.value());
  }
}

TEST(OnnxTest, RejectsGarbageAndExternalData) {
  const std::string junk = "this is not a protobuf";
  EXPECT_FALSE(onnx::Parse(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()).ok());
  EXPECT_FALSE(onnx::Parse(nullptr, 0).ok());
  Pb t;
  t.PackedInts(1, {2}).Int(2, 1).Bytes(8, "w").Int(14, 1);  // data_location = EXTERNAL
  Graph g;
  g.Input("x", {1, 2}).Init(t).Node("Add", {"x", "w"}, {"y"}).Output("y", {1, 2});
  const std::string bytes = g.Model(10);
  auto model = onnx::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("outside"), std::string::npos) << model.status().ToString();
}

TEST(NhwcGraphTest, FusesTheResidualChainAndNamesUnsupportedOperators) {
  const std::string bytes = ConvNetModel();
  auto model = onnx::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(model.ok());
  auto graph = LowerToNhwc(model.value());
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  int chains = 0, blocks = 0;
  for (const NhwcOp& op : graph->ops) {
    if (op.kind == NhwcOp::Kind::kResidualChain) {
      ++chains;
      blocks += static_cast<int>(op.blocks.size());
    }
  }
  EXPECT_EQ(chains, 1);
  EXPECT_EQ(blocks, 2);
  EXPECT_TRUE(graph->input_nchw);
  EXPECT_EQ(graph->fixed_batch, 0);

  Graph g;
  g.Input("x", {1, 4}).Node("Tanh", {"x"}, {"y"}).Output("y", {1, 4});
  const std::string tanh = g.Model(10);
  auto m = onnx::Parse(reinterpret_cast<const uint8_t*>(tanh.data()), tanh.size());
  ASSERT_TRUE(m.ok());
  auto lowered = LowerToNhwc(m.value());
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(lowered.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(lowered.status().message().find("Tanh"), std::string::npos) << lowered.status().ToString();
}

TEST(XnnpackBackendTest, MatchesOpenCvOnEveryLoweredOperator) {
  const std::string path = WriteModel("convnet.onnx", ConvNetModel());
  ExpectBackendsAgree(path, {{1, 3, 9, 11}, {3, 3, 9, 11}, {1, 3, 9, 11}});
}

TEST(XnnpackBackendTest, MatchesOpenCvOnNhwcTransposesConcatAndReshape) {
  ExpectBackendsAgree(WriteModel("nhwc.onnx", NhwcModel()), {{1, 9, 11, 3}});
}

TEST(XnnpackBackendTest, MatchesOpenCvOnAReshapedEmbeddingHead) {
  ExpectBackendsAgree(WriteModel("head1.onnx", EmbeddingHeadModel(1)), {{1, 4, 7, 7}});
  ExpectBackendsAgree(WriteModel("head.onnx", EmbeddingHeadModel(-1)), {{1, 4, 7, 7}, {3, 4, 7, 7}});
  // A reshape that would need the NCHW order of a larger image is still refused, by name.
  Graph g;
  g.Input("input", {1, 4, 2, 2});
  g.Init(Int64Tensor("shape", {1, 16}));
  g.Node("Reshape", {"input", "shape"}, {"out"});
  g.Output("out", {1, 16});
  const std::string bytes = g.Model(9);
  auto m = onnx::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(m.ok());
  auto lowered = LowerToNhwc(m.value());
  ASSERT_FALSE(lowered.ok());
  EXPECT_NE(lowered.status().message().find("needs a transpose"), std::string::npos)
      << lowered.status().ToString();
}

// OpenCV 4.6 cannot load Gemm with transB = 0 and a constant B; the two forms against each other.
TEST(XnnpackBackendTest, GemmWithAndWithoutTransposedWeightsAgree) {
  std::vector<float> w(6 * 5), wt(5 * 6), b(6);
  for (int o = 0; o < 6; ++o) {
    b[static_cast<size_t>(o)] = 0.1f * o;
    for (int i = 0; i < 5; ++i) {
      w[static_cast<size_t>(o * 5 + i)] = std::sin(1.3f * o + 0.7f * i);
      wt[static_cast<size_t>(i * 6 + o)] = w[static_cast<size_t>(o * 5 + i)];
    }
  }
  std::vector<cv::Mat> results[2];
  for (int trans = 0; trans < 2; ++trans) {
    Graph g;
    g.Input("x", {-1, 5}).Init(FloatTensor("w", trans ? std::vector<int64_t>{6, 5} : std::vector<int64_t>{5, 6}, trans ? w : wt));
    g.Init(FloatTensor("b", {6}, b)).Node("Gemm", {"x", "w", "b"}, {"y"}, {Attr::Int("transB", trans)});
    g.Output("y", {-1, 6});
    auto file = ModelFile::Read(WriteModel("gemm" + std::to_string(trans) + ".onnx", g.Model(10)),
                                {.backend = Backend::kXnnpack});
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto net = Network::Create(*file.value());
    ASSERT_TRUE(net.ok());
    ASSERT_TRUE((*net)->Forward(Input({2, 5}, 0.3f), &results[trans]).ok());
    results[trans][0] = results[trans][0].clone();
  }
  const cv::Mat x = Input({2, 5}, 0.3f);
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 6; ++o) {
      float expected = b[static_cast<size_t>(o)];
      for (int i = 0; i < 5; ++i) expected += x.ptr<float>()[n * 5 + i] * w[static_cast<size_t>(o * 5 + i)];
      EXPECT_NEAR(results[0][0].ptr<float>()[n * 6 + o], expected, 1e-5f);
      EXPECT_NEAR(results[1][0].ptr<float>()[n * 6 + o], expected, 1e-5f);
    }
  }
}

TEST(XnnpackBackendTest, TwoThreadsGiveTheSameOutputs) {
  const std::string path = WriteModel("convnet2.onnx", ConvNetModel());
  auto one = ModelFile::Read(path, {.backend = Backend::kXnnpack, .num_threads = 1});
  auto two = ModelFile::Read(path, {.backend = Backend::kXnnpack, .num_threads = 2});
  ASSERT_TRUE(one.ok() && two.ok());
  auto a = Network::Create(*one.value());
  auto b = Network::Create(*two.value());
  ASSERT_TRUE(a.ok() && b.ok());
  const cv::Mat input = Input({2, 3, 9, 11}, 0.5f);
  std::vector<cv::Mat> oa, ob;
  ASSERT_TRUE((*a)->Forward(input, &oa).ok());
  ASSERT_TRUE((*b)->Forward(input, &ob).ok());
  for (size_t k = 0; k < oa.size(); ++k) {
    for (size_t i = 0; i < oa[k].total(); ++i) {
      ASSERT_NEAR(oa[k].ptr<float>()[i], ob[k].ptr<float>()[i], 1e-5f);
    }
  }
}

// A Session's networks own their buffers: after the first call of a given batch size, Forward
// allocates nothing (XNNPACK runtimes, boundary buffers, scratch and output headers are reused).
TEST(XnnpackBackendTest, ForwardAllocatesNothingAfterTheFirstCall) {
  const std::string path = WriteModel("convnet3.onnx", ConvNetModel());
  auto file = ModelFile::Read(path, {.backend = Backend::kXnnpack});
  ASSERT_TRUE(file.ok());
  auto net = Network::Create(*file.value());
  ASSERT_TRUE(net.ok());
  const cv::Mat one = Input({1, 3, 9, 11}, 0.1f), three = Input({3, 3, 9, 11}, 0.2f);
  std::vector<cv::Mat> outputs;
  ASSERT_TRUE((*net)->Forward(three, &outputs).ok());  // sizes every buffer for batch 3
  ASSERT_TRUE((*net)->Forward(one, &outputs).ok());
  ASSERT_TRUE((*net)->Forward(three, &outputs).ok());
  const long before = g_allocations.load();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*net)->Forward(three, &outputs).ok());
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(BackendTest, NamesAreParsedStrictly) {
  EXPECT_EQ(ParseBackend("xnnpack").value(), Backend::kXnnpack);
  EXPECT_EQ(ParseBackend("opencv").value(), Backend::kOpenCv);
  auto bad = ParseBackend("XNNPACK");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("xnnpack, opencv"), std::string::npos);
  EXPECT_EQ(BackendNames().front(), "xnnpack");
}

}  // namespace
}  // namespace facet::nn
