#include "nn/nhwc_graph.h"

#include <algorithm>

#include "nn/nhwc_lowering.h"

namespace facet::nn {
namespace lowering {
namespace {

bool IsFusableProducer(Kind kind) {
  switch (kind) {
    case Kind::kConvolution:
    case Kind::kDepthwiseConvolution:
    case Kind::kFullyConnected:
    case Kind::kMaxPool:
    case Kind::kAveragePool:
    case Kind::kGlobalAveragePool:
    case Kind::kAdd:
    case Kind::kClamp:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<NhwcGraph> Lowering::Run() {
  if (m_.inputs.size() != 1) {
    return Status::InvalidArgument("ONNX -> XNNPACK: models with " +
                                   std::to_string(m_.inputs.size()) +
                                   " inputs are not supported (one input)");
  }
  for (const onnx::Tensor& t : m_.initializers) {
    Sym s;
    s.constant = &t;
    s.dims = t.dims;
    syms_[t.name] = s;
  }
  for (const onnx::Node& n : m_.nodes) {
    for (const std::string& in : n.inputs) ++consumers_[in];
  }
  for (const onnx::ValueInfo& out : m_.outputs) graph_outputs_.insert(out.name);
  FACET_RETURN_IF_ERROR(DefineInput(m_.inputs.front()));
  for (const onnx::Node& n : m_.nodes) FACET_RETURN_IF_ERROR(Lower(n));
  std::set<int> used;
  for (const onnx::ValueInfo& out : m_.outputs) {
    auto it = syms_.find(out.name);
    if (it == syms_.end() || it->second.value < 0) {
      return Status::InvalidArgument("ONNX -> XNNPACK: output '" + out.name +
                                     "' is not computed by the graph");
    }
    const Sym& s = it->second;
    if (s.value == g_.input || s.flattened_nhwc || !used.insert(s.value).second) {
      return Status::InvalidArgument("ONNX -> XNNPACK: output '" + out.name +
                                     "' is the input, a flattened image or another output");
    }
    g_.outputs.push_back({out.name, s.value, s.dims, s.nchw});
  }
  return std::move(g_);
}

Status Lowering::Fail(const onnx::Node& n, const std::string& why) {
  return Status::InvalidArgument("ONNX -> XNNPACK: " + n.op_type + " '" + n.name + "': " + why);
}

Status Lowering::DefineInput(const onnx::ValueInfo& declared) {
  onnx::ValueInfo in = declared;
  if (!input_dims_.empty()) {
    if (input_dims_.size() != in.dims.size()) {
      return Status::InvalidArgument("ONNX -> XNNPACK: input '" + in.name + "' has " +
                                     std::to_string(in.dims.size()) + " dimensions, asked for " +
                                     std::to_string(input_dims_.size()));
    }
    for (size_t i = 1; i < in.dims.size(); ++i) {
      if (in.dims[i] > 0 && in.dims[i] != input_dims_[i]) {
        return Status::InvalidArgument("ONNX -> XNNPACK: input '" + in.name + "' dimension " +
                                       std::to_string(i) + " is fixed at " +
                                       std::to_string(in.dims[i]));
      }
      in.dims[i] = input_dims_[i];
    }
  }
  g_.input_name = in.name;
  g_.input_dims = in.dims;
  if (in.dims.size() < 2) return Status::InvalidArgument("ONNX -> XNNPACK: input must be >= 2-D");
  for (size_t i = 1; i < in.dims.size(); ++i) {
    if (in.dims[i] <= 0) {
      return Status::InvalidArgument("ONNX -> XNNPACK: input '" + in.name +
                                     "' has a symbolic dimension other than the batch (lower it "
                                     "for one input size)");
    }
  }
  g_.fixed_batch = in.dims[0] > 0 ? static_cast<int>(in.dims[0]) : 0;
  // A 4-D input is NCHW unless the graph only transposes it from NHWC (BlazeFace).
  bool only_to_nchw = true;
  for (const onnx::Node& n : m_.nodes) {
    if (std::find(n.inputs.begin(), n.inputs.end(), in.name) == n.inputs.end()) continue;
    if (n.op_type != "Transpose" || n.Ints("perm") != std::vector<int64_t>{0, 3, 1, 2}) {
      only_to_nchw = false;
    }
  }
  Sym s;
  s.dims = in.dims;
  s.nchw = in.dims.size() == 4 && !only_to_nchw;
  g_.input_nchw = s.nchw;
  s.value = NewValue(Physical(s));
  g_.input = s.value;
  syms_[in.name] = s;
  return Status::Ok();
}

std::vector<size_t> Lowering::Physical(const Sym& s) {
  std::vector<size_t> p;
  if (s.nchw) {
    p = {static_cast<size_t>(s.dims[2]), static_cast<size_t>(s.dims[3]),
         static_cast<size_t>(s.dims[1])};
  } else {
    for (size_t i = 1; i < s.dims.size(); ++i) p.push_back(static_cast<size_t>(s.dims[i]));
  }
  return p;
}

int Lowering::NewValue(std::vector<size_t> dims) {
  g_.values.push_back(std::move(dims));
  return static_cast<int>(g_.values.size()) - 1;
}

int Lowering::NewConstant(std::vector<size_t> dims, std::vector<float> data) {
  g_.constants.push_back({std::move(dims), std::move(data)});
  return static_cast<int>(g_.constants.size()) - 1;
}

// Adds `op` writing a new value for `out`, described by `sym` (value and producer are set).
void Lowering::Emit(NhwcOp op, const std::string& out, Sym sym) {
  sym.value = NewValue(Physical(sym));
  sym.producer = static_cast<int>(g_.ops.size());
  op.output = sym.value;
  g_.ops.push_back(std::move(op));
  syms_[out] = std::move(sym);
}

Result<const Sym*> Lowering::Get(const onnx::Node& n, size_t index) {
  if (index >= n.inputs.size() || n.inputs[index].empty()) {
    return Fail(n, "missing input " + std::to_string(index));
  }
  auto it = syms_.find(n.inputs[index]);
  if (it == syms_.end()) return Fail(n, "input '" + n.inputs[index] + "' is not defined before");
  return &it->second;
}

Result<const Sym*> Lowering::GetValue(const onnx::Node& n, size_t index) {
  auto s = Get(n, index);
  if (!s.ok()) return s.status();
  if (s.value()->value < 0) return Fail(n, "a constant where a tensor was expected");
  return s;
}

Result<const onnx::Tensor*> Lowering::GetConstant(const onnx::Node& n, size_t index) {
  auto s = Get(n, index);
  if (!s.ok()) return s.status();
  if (s.value()->constant == nullptr) return Fail(n, "input " + std::to_string(index) + " is not constant");
  return s.value()->constant;
}

Status Lowering::Lower(const onnx::Node& n) {
  if (!n.domain.empty() && n.domain != "ai.onnx") return Fail(n, "unsupported domain " + n.domain);
  if (n.outputs.empty()) return Fail(n, "no output");
  const std::string& op = n.op_type;
  if (op == "Conv") return Conv(n);
  if (op == "ConvTranspose") return ConvTranspose(n);
  if (op == "MaxPool" || op == "AveragePool") return Pool(n);
  if (op == "GlobalAveragePool") return GlobalAveragePool(n);
  if (op == "Relu" || op == "Clip") return Clamp(n);
  if (op == "PRelu") return Prelu(n);
  if (op == "Add") return Add(n);
  if (op == "Sigmoid" || op == "Softmax") return Unary(n);
  if (op == "Flatten") return Flatten(n);
  if (op == "Gemm") return Gemm(n);
  if (op == "Identity" || op == "Dropout") return Alias(n);
  if (op == "Transpose") return Transpose(n);
  if (op == "Reshape") return Reshape(n);
  if (op == "ConstantOfShape") return ConstantOfShape(n);
  if (op == "Concat") return Concat(n);
  if (op == "Pad") return Pad(n);
  return Fail(n, "operator not supported by the XNNPACK backend");
}

// Reads kernel/stride/pads/dilations of a convolution or pooling node into `op`.
Status Lowering::Geometry(const onnx::Node& n, int64_t kh, int64_t kw, NhwcOp* op) {
  const onnx::Attribute* auto_pad = n.Find("auto_pad");
  if (auto_pad != nullptr && auto_pad->s != "NOTSET" && auto_pad->s != "VALID") {
    return Fail(n, "auto_pad " + auto_pad->s + " not supported (explicit pads only)");
  }
  const std::vector<int64_t> strides = n.Ints("strides", {1, 1});
  const std::vector<int64_t> dilations = n.Ints("dilations", {1, 1});
  const std::vector<int64_t> pads = n.Ints("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
    return Fail(n, "only 2-D kernels are supported");
  }
  for (int64_t v : strides) {
    if (v < 1) return Fail(n, "invalid stride");
  }
  for (int64_t v : dilations) {
    if (v < 1) return Fail(n, "invalid dilation");
  }
  for (int64_t v : pads) {
    if (v < 0) return Fail(n, "negative pads");
  }
  op->kernel_h = static_cast<int>(kh);
  op->kernel_w = static_cast<int>(kw);
  op->stride_h = static_cast<int>(strides[0]);
  op->stride_w = static_cast<int>(strides[1]);
  op->dilation_h = static_cast<int>(dilations[0]);
  op->dilation_w = static_cast<int>(dilations[1]);
  op->pad_top = static_cast<int>(pads[0]);
  op->pad_left = static_cast<int>(pads[1]);
  op->pad_bottom = static_cast<int>(pads[2]);
  op->pad_right = static_cast<int>(pads[3]);
  return Status::Ok();
}

int64_t Lowering::OutputSize(int64_t in, int pad_a, int pad_b, int kernel, int dilation, int stride) {
  const int64_t span = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  const int64_t padded = in + pad_a + pad_b;
  return padded < span ? 0 : (padded - span) / stride + 1;
}

Status Lowering::Conv(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  auto w = GetConstant(n, 1);
  if (!w.ok()) return w.status();
  const Sym& in = *x.value();
  const onnx::Tensor& weights = *w.value();
  if (!in.nchw) return Fail(n, "input is not an NCHW image");
  if (weights.dims.size() != 4 || weights.data_type != onnx::kFloat) {
    return Fail(n, "weights must be 4-D float");
  }
  const int64_t c = in.dims[1], h = in.dims[2], wd = in.dims[3];
  const int64_t m = weights.dims[0], cg = weights.dims[1], kh = weights.dims[2], kw = weights.dims[3];
  const int64_t group = n.Int("group", 1);
  if (group < 1 || cg * group != c || m % group != 0) return Fail(n, "channels do not match the group");
  NhwcOp op;
  FACET_RETURN_IF_ERROR(Geometry(n, kh, kw, &op));
  const std::vector<int64_t> kernel = n.Ints("kernel_shape", {kh, kw});
  if (kernel != std::vector<int64_t>{kh, kw}) return Fail(n, "kernel_shape differs from the weights");
  std::vector<float> bias(static_cast<size_t>(m), 0.0f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto b = GetConstant(n, 2);
    if (!b.ok()) return b.status();
    if (b.value()->floats.size() != bias.size()) return Fail(n, "bias size");
    bias = b.value()->floats;
  }
  const int64_t oh = OutputSize(h, op.pad_top, op.pad_bottom, op.kernel_h, op.dilation_h, op.stride_h);
  const int64_t ow = OutputSize(wd, op.pad_left, op.pad_right, op.kernel_w, op.dilation_w, op.stride_w);
  if (oh < 1 || ow < 1) return Fail(n, "kernel larger than the padded input");
  const std::vector<float>& src = weights.floats;
  std::vector<float> dst(src.size());
  const bool depthwise = group > 1 && cg == 1 && group == c;
  if (depthwise) {
    // [M, 1, kh, kw] -> [1, kh, kw, M]; output channel m = input channel * multiplier + k.
    op.kind = Kind::kDepthwiseConvolution;
    op.depth_multiplier = static_cast<size_t>(m / c);
    op.input_channels = static_cast<size_t>(c);
    for (int64_t o = 0; o < m; ++o) {
      for (int64_t y = 0; y < kh; ++y) {
        for (int64_t xx = 0; xx < kw; ++xx) {
          dst[static_cast<size_t>((y * kw + xx) * m + o)] = src[static_cast<size_t>((o * kh + y) * kw + xx)];
        }
      }
    }
    op.weights = NewConstant({1, static_cast<size_t>(kh), static_cast<size_t>(kw), static_cast<size_t>(m)},
                             std::move(dst));
  } else {
    // OIHW -> OHWI (groups are output-major in both).
    op.kind = Kind::kConvolution;
    op.groups = static_cast<int>(group);
    op.group_input_channels = static_cast<size_t>(cg);
    op.group_output_channels = static_cast<size_t>(m / group);
    for (int64_t o = 0; o < m; ++o) {
      for (int64_t i = 0; i < cg; ++i) {
        for (int64_t y = 0; y < kh; ++y) {
          for (int64_t xx = 0; xx < kw; ++xx) {
            dst[static_cast<size_t>(((o * kh + y) * kw + xx) * cg + i)] =
                src[static_cast<size_t>(((o * cg + i) * kh + y) * kw + xx)];
          }
        }
      }
    }
    op.weights = NewConstant({static_cast<size_t>(m), static_cast<size_t>(kh), static_cast<size_t>(kw),
                              static_cast<size_t>(cg)},
                             std::move(dst));
  }
  op.bias = NewConstant({static_cast<size_t>(m)}, std::move(bias));
  op.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], m, oh, ow};
  out.nchw = true;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Pool(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym& in = *x.value();
  if (!in.nchw) return Fail(n, "input is not an NCHW image");
  const std::vector<int64_t> kernel = n.Ints("kernel_shape");
  if (kernel.size() != 2) return Fail(n, "kernel_shape must have 2 values");
  if (n.Int("storage_order", 0) != 0) return Fail(n, "storage_order 1 not supported");
  NhwcOp op;
  op.kind = n.op_type == "MaxPool" ? Kind::kMaxPool : Kind::kAveragePool;
  FACET_RETURN_IF_ERROR(Geometry(n, kernel[0], kernel[1], &op));
  if (op.kind == Kind::kAveragePool && (op.dilation_h != 1 || op.dilation_w != 1)) {
    return Fail(n, "dilated average pooling");
  }
  const int64_t h = in.dims[2], w = in.dims[3];
  int64_t oh = OutputSize(h, op.pad_top, op.pad_bottom, op.kernel_h, op.dilation_h, op.stride_h);
  int64_t ow = OutputSize(w, op.pad_left, op.pad_right, op.kernel_w, op.dilation_w, op.stride_w);
  if (n.Int("ceil_mode", 0) != 0) {
    // One more window where a partial one remains, unless it would start in the end padding.
    auto ceil_size = [](int64_t in_size, int pad_a, int pad_b, int k, int d, int s) {
      const int64_t span = static_cast<int64_t>(d) * (k - 1) + 1;
      int64_t out = (in_size + pad_a + pad_b - span + s - 1) / s + 1;
      if ((out - 1) * s >= in_size + pad_a) --out;
      return out;
    };
    const int64_t ch = ceil_size(h, op.pad_top, op.pad_bottom, op.kernel_h, op.dilation_h, op.stride_h);
    const int64_t cw = ceil_size(w, op.pad_left, op.pad_right, op.kernel_w, op.dilation_w, op.stride_w);
    // Extra end padding: max pooling ignores padded positions, so this is exact.
    op.pad_bottom += static_cast<int>(std::max<int64_t>(
        0, (ch - 1) * op.stride_h + op.dilation_h * (op.kernel_h - 1) + 1 - h - op.pad_top - op.pad_bottom));
    op.pad_right += static_cast<int>(std::max<int64_t>(
        0, (cw - 1) * op.stride_w + op.dilation_w * (op.kernel_w - 1) + 1 - w - op.pad_left - op.pad_right));
    oh = ch;
    ow = cw;
  }
  if (op.kind == Kind::kAveragePool &&
      (op.pad_top != 0 || op.pad_left != 0 || op.pad_bottom != 0 || op.pad_right != 0)) {
    return Fail(n, "padded average pooling (count_include_pad semantics) not supported");
  }
  if (oh < 1 || ow < 1) return Fail(n, "window larger than the input");
  op.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], in.dims[1], oh, ow};
  out.nchw = true;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::GlobalAveragePool(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym& in = *x.value();
  if (!in.nchw) return Fail(n, "input is not an NCHW image");
  NhwcOp op;
  op.kind = Kind::kGlobalAveragePool;
  op.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], in.dims[1], 1, 1};
  out.nchw = true;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Clamp(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym in = *x.value();
  float lo = 0.0f, hi = std::numeric_limits<float>::infinity();
  if (n.op_type == "Clip") {
    lo = n.Float("min", -std::numeric_limits<float>::infinity());
    hi = n.Float("max", std::numeric_limits<float>::infinity());
    for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {  // opset >= 11: min, max inputs
      if (n.inputs[i].empty()) continue;
      auto c = GetConstant(n, i);
      if (!c.ok()) return c.status();
      if (c.value()->floats.size() != 1) return Fail(n, "min/max must be scalars");
      (i == 1 ? lo : hi) = c.value()->floats[0];
    }
  }
  if (!(lo <= hi)) return Fail(n, "min > max");
  const std::string& name = n.inputs[0];
  if (in.producer >= 0 && !in.alias && consumers_[name] == 1 && graph_outputs_.count(name) == 0 &&
      IsFusableProducer(g_.ops[static_cast<size_t>(in.producer)].kind)) {
    NhwcOp& producer = g_.ops[static_cast<size_t>(in.producer)];
    producer.output_min = std::max(producer.output_min, lo);
    producer.output_max = std::min(producer.output_max, hi);
    Sym out = in;
    syms_[n.outputs[0]] = out;  // takes over the producer's value (the only consumer)
    return Status::Ok();
  }
  NhwcOp op;
  op.kind = Kind::kClamp;
  op.inputs = {in.value};
  op.output_min = lo;
  op.output_max = hi;
  Sym out = in;
  out.alias = false;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Prelu(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  auto s = GetConstant(n, 1);
  if (!s.ok()) return s.status();
  const Sym in = *x.value();
  if (in.flattened_nhwc) return Fail(n, "PReLU of a flattened image");
  const std::vector<size_t> physical = Physical(in);
  const size_t channels = physical.back();
  std::vector<float> slope = s.value()->floats;
  if (slope.size() == 1) slope.assign(channels, slope[0]);
  if (slope.size() != channels) return Fail(n, "slope must have one value per channel");
  if (!in.nchw && in.dims.size() > 2) return Fail(n, "PReLU over a non-channel axis");
  NhwcOp op;
  op.kind = Kind::kPrelu;
  op.inputs = {in.value};
  op.weights = NewConstant({channels}, std::move(slope));
  Sym out = in;
  out.alias = false;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Add(const onnx::Node& n) {
  auto a = GetValue(n, 0);
  if (!a.ok()) return a.status();
  auto b = GetValue(n, 1);
  if (!b.ok()) return b.status();
  const Sym sa = *a.value(), sb = *b.value();
  if (sa.dims != sb.dims || sa.nchw != sb.nchw || sa.flattened_nhwc || sb.flattened_nhwc) {
    return Fail(n, "only same-shape, same-layout tensors can be added");
  }
  NhwcOp op;
  op.kind = Kind::kAdd;
  op.inputs = {sa.value, sb.value};
  Sym out = sa;
  out.alias = false;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Unary(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym in = *x.value();
  NhwcOp op;
  if (n.op_type == "Softmax") {
    const int64_t rank = static_cast<int64_t>(in.dims.size());
    int64_t axis = n.Int("axis", m_.opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (in.nchw || in.flattened_nhwc || rank != 2 || axis != 1) {
      return Fail(n, "softmax only over the last axis of a 2-D tensor");
    }
    op.kind = Kind::kSoftmax;
  } else {
    op.kind = Kind::kSigmoid;
  }
  op.inputs = {in.value};
  Sym out = in;
  out.alias = false;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

Status Lowering::Gemm(const onnx::Node& n) {
  auto a = GetValue(n, 0);
  if (!a.ok()) return a.status();
  auto b = GetConstant(n, 1);
  if (!b.ok()) return b.status();
  const Sym in = *a.value();
  const onnx::Tensor& bt = *b.value();
  if (in.dims.size() != 2 || in.nchw) return Fail(n, "input must be 2-D");
  if (bt.dims.size() != 2) return Fail(n, "B must be 2-D");
  if (n.Int("transA", 0) != 0 || n.Float("alpha", 1.0f) != 1.0f || n.Float("beta", 1.0f) != 1.0f) {
    return Fail(n, "only transA = 0, alpha = beta = 1");
  }
  const bool trans_b = n.Int("transB", 0) != 0;
  const int64_t k = in.dims[1];
  const int64_t m = trans_b ? bt.dims[0] : bt.dims[1];
  if ((trans_b ? bt.dims[1] : bt.dims[0]) != k) return Fail(n, "B does not match the input size");
  // XNNPACK wants [M, K]; when the input is an NHWC image flattened, its K is in H, W, C order.
  std::vector<float> weights(static_cast<size_t>(m * k));
  for (int64_t o = 0; o < m; ++o) {
    for (int64_t i = 0; i < k; ++i) {
      int64_t dst_col = i;
      if (in.flattened_nhwc) {
        const int64_t hw = in.flat_h * in.flat_w;
        const int64_t c = i / hw, y = (i % hw) / in.flat_w, xx = i % in.flat_w;
        dst_col = (y * in.flat_w + xx) * in.flat_c + c;
      }
      weights[static_cast<size_t>(o * k + dst_col)] =
          trans_b ? bt.floats[static_cast<size_t>(o * k + i)] : bt.floats[static_cast<size_t>(i * m + o)];
    }
  }
  std::vector<float> bias(static_cast<size_t>(m), 0.0f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto c = GetConstant(n, 2);
    if (!c.ok()) return c.status();
    if (c.value()->floats.size() == 1) {
      bias.assign(static_cast<size_t>(m), c.value()->floats[0]);
    } else if (c.value()->floats.size() == static_cast<size_t>(m)) {
      bias = c.value()->floats;
    } else {
      return Fail(n, "bias must have one value per output");
    }
  }
  NhwcOp op;
  op.kind = Kind::kFullyConnected;
  op.inputs = {in.value};
  op.weights = NewConstant({static_cast<size_t>(m), static_cast<size_t>(k)}, std::move(weights));
  op.bias = NewConstant({static_cast<size_t>(m)}, std::move(bias));
  Sym out;
  out.dims = {in.dims[0], m};
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

}  // namespace lowering
Result<NhwcGraph> LowerToNhwc(const onnx::Model& model, bool facet_kernels,
                              const std::vector<int64_t>& input_dims) {
  auto graph = lowering::Lowering(model, input_dims).Run();
  if (graph.ok() && facet_kernels) {
    FuseResidualChains(&graph.value());
    FuseConvPointwiseDepthwise(&graph.value());
    UseWinogradConvolutions(&graph.value());
  }
  return graph;
}

bool HasVariableInputSize(const onnx::Model& model) {
  if (model.inputs.size() != 1) return false;
  const std::vector<int64_t>& dims = model.inputs.front().dims;
  return std::any_of(dims.begin() + (dims.empty() ? 0 : 1), dims.end(),
                     [](int64_t d) { return d <= 0; });
}

}  // namespace facet::nn
