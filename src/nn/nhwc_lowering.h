// The ONNX -> NHWC lowering's internals, shared by nhwc_graph.cc (graph, convolution and
// arithmetic operators) and nhwc_layout.cc (flatten, reshape, transpose, concat, pad). Internal to
// src/nn: use LowerToNhwc (nn/nhwc_graph.h).
#ifndef FACET_SRC_NN_NHWC_LOWERING_H_
#define FACET_SRC_NN_NHWC_LOWERING_H_

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nn/nhwc_graph.h"

namespace facet::nn::lowering {

using Kind = NhwcOp::Kind;

// What an ONNX value name stands for during lowering.
struct Sym {
  int value = -1;                          // NHWC value id; -1 for a constant
  const onnx::Tensor* constant = nullptr;  // initializer or folded constant
  std::vector<int64_t> dims;               // ONNX logical dims, batch first (may be -1)
  bool nchw = false;                       // 4-D logical NCHW stored NHWC
  bool flattened_nhwc = false;             // [N, C*H*W] logical stored in H, W, C order
  int64_t flat_c = 0, flat_h = 0, flat_w = 0;
  int producer = -1;                       // op producing `value`
  bool alias = false;                      // another name already owns `value`
};

class Lowering {
 public:
  // `input_dims`: the input shape to lower for (batch first); empty: as the model declares.
  Lowering(const onnx::Model& model, std::vector<int64_t> input_dims)
      : m_(model), input_dims_(std::move(input_dims)) {}

  Result<NhwcGraph> Run();

 private:
  static Status Fail(const onnx::Node& n, const std::string& why);

  Status DefineInput(const onnx::ValueInfo& in);

  static std::vector<size_t> Physical(const Sym& s);

  int NewValue(std::vector<size_t> dims);

  int NewConstant(std::vector<size_t> dims, std::vector<float> data);

  // Adds `op` writing a new value for `out`, described by `sym` (value and producer are set).
  void Emit(NhwcOp op, const std::string& out, Sym sym);

  Result<const Sym*> Get(const onnx::Node& n, size_t index);

  Result<const Sym*> GetValue(const onnx::Node& n, size_t index);

  Result<const onnx::Tensor*> GetConstant(const onnx::Node& n, size_t index);

  Status Lower(const onnx::Node& n);

  Status Alias(const onnx::Node& n);

  // Reads kernel/stride/pads/dilations of a convolution or pooling node into `op`.
  Status Geometry(const onnx::Node& n, int64_t kh, int64_t kw, NhwcOp* op);

  static int64_t OutputSize(int64_t in, int pad_a, int pad_b, int kernel, int dilation, int stride);

  Status Conv(const onnx::Node& n);

  Status ConvTranspose(const onnx::Node& n);

  Status Pool(const onnx::Node& n);

  Status GlobalAveragePool(const onnx::Node& n);

  Status Clamp(const onnx::Node& n);

  Status Prelu(const onnx::Node& n);

  Status Add(const onnx::Node& n);

  Status Unary(const onnx::Node& n);

  // A reshape op from `in` to logical `dims` (plain layout).
  void EmitReshape(const Sym& in, std::vector<int64_t> dims, const std::string& out_name, Sym out);

  Status Flatten(const onnx::Node& n);

  Status Gemm(const onnx::Node& n);

  Status Transpose(const onnx::Node& n);

  Status Reshape(const onnx::Node& n);

  Status ConstantOfShape(const onnx::Node& n);

  // Physical dimension (batch = 0) of logical axis `axis` of `s`.
  static size_t PhysicalAxis(const Sym& s, int64_t axis);

  // Adds a constant-pad op of `in` with `before`/`after` zeros per logical axis.
  void EmitPad(const Sym& in, const std::vector<int64_t>& before, const std::vector<int64_t>& after,
               float value, const std::string& out_name);

  Status Concat(const onnx::Node& n);

  Status Pad(const onnx::Node& n);

  const onnx::Model& m_;
  std::vector<int64_t> input_dims_;
  NhwcGraph g_;
  std::map<std::string, Sym> syms_;
  std::map<std::string, int> consumers_;
  std::set<std::string> graph_outputs_;
  std::deque<onnx::Tensor> made_;  // folded constants (stable addresses)
};

}  // namespace facet::nn::lowering

#endif  // FACET_SRC_NN_NHWC_LOWERING_H_
