// Layout operators of the ONNX -> NHWC lowering: flatten, reshape, transpose, constant-of-shape,
// concatenation and constant padding.
#include <algorithm>

#include "nn/nhwc_lowering.h"

namespace facet::nn::lowering {

Status Lowering::Alias(const onnx::Node& n) {
  auto x = Get(n, 0);
  if (!x.ok()) return x.status();
  Sym s = *x.value();
  s.alias = true;
  syms_[n.outputs[0]] = s;
  return Status::Ok();
}

// A reshape op from `in` to logical `dims` (plain layout).
void Lowering::EmitReshape(const Sym& in, std::vector<int64_t> dims, const std::string& out_name,
                           Sym out) {
  NhwcOp op;
  op.kind = Kind::kReshape;
  op.inputs = {in.value};
  out.dims = std::move(dims);
  out.nchw = false;
  out.alias = false;
  Emit(std::move(op), out_name, out);
}

Status Lowering::Flatten(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym in = *x.value();
  if (n.Int("axis", 1) != 1) return Fail(n, "only axis 1");
  if (in.nchw) {
    const int64_t c = in.dims[1], h = in.dims[2], w = in.dims[3];
    Sym out;
    if (h * w != 1) {
      out.flattened_nhwc = true;
      out.flat_c = c;
      out.flat_h = h;
      out.flat_w = w;
    }
    EmitReshape(in, {in.dims[0], c * h * w}, n.outputs[0], out);
    return Status::Ok();
  }
  if (in.dims.size() == 2 && !in.flattened_nhwc) return Alias(n);
  int64_t count = 1;
  for (size_t i = 1; i < in.dims.size(); ++i) count *= in.dims[i];
  if (in.flattened_nhwc) return Fail(n, "flatten of a flattened image");
  EmitReshape(in, {in.dims[0], count}, n.outputs[0], Sym());
  return Status::Ok();
}

Status Lowering::Transpose(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym in = *x.value();
  const std::vector<int64_t> perm = n.Ints("perm");
  Sym out = in;
  out.alias = true;
  if (!in.nchw && in.dims.size() == 4 && perm == std::vector<int64_t>{0, 3, 1, 2}) {
    out.nchw = true;  // NHWC -> NCHW: the data is already NHWC
    out.dims = {in.dims[0], in.dims[3], in.dims[1], in.dims[2]};
  } else if (in.nchw && perm == std::vector<int64_t>{0, 2, 3, 1}) {
    out.nchw = false;  // NCHW -> NHWC: the stored order becomes the logical one
    out.dims = {in.dims[0], in.dims[2], in.dims[3], in.dims[1]};
  } else {
    return Fail(n, "only NHWC <-> NCHW transposes are supported");
  }
  syms_[n.outputs[0]] = out;
  return Status::Ok();
}

Status Lowering::Reshape(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  auto shape = GetConstant(n, 1);
  if (!shape.ok()) return shape.status();
  Sym in = *x.value();
  if (in.nchw && in.dims.size() == 4 && in.dims[2] == 1 && in.dims[3] == 1) {
    // A 1x1 image is stored alike in NCHW and NHWC ([N,C,1,1] = [N,1,1,C]): reshaped like a plain
    // tensor of its logical dims. A recognizer's embedding head ends so (global depthwise
    // convolution, 1x1 convolution, Reshape to [N, C]: MobileFaceNet / ArcFace exports).
    in.nchw = false;
  }
  if (in.nchw || in.flattened_nhwc) return Fail(n, "reshape of an NCHW image (needs a transpose)");
  int64_t count = 1;
  for (size_t i = 1; i < in.dims.size(); ++i) count *= in.dims[i];
  std::vector<int64_t> dims = shape.value()->ints;
  if (dims.empty()) return Fail(n, "empty shape");
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && i < in.dims.size()) dims[i] = in.dims[i];
    if (i == 0) {
      if (dims[0] != in.dims[0] && !(dims[0] == -1 && in.dims[0] == -1) &&
          !(in.dims[0] == -1 && dims[0] == 0)) {
        return Fail(n, "reshape must keep the batch dimension");
      }
      continue;
    }
    if (dims[i] == -1) {
      if (infer >= 0) return Fail(n, "more than one -1");
      infer = static_cast<int>(i);
    } else if (dims[i] <= 0) {
      return Fail(n, "invalid dimension");
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0) dims[static_cast<size_t>(infer)] = known > 0 ? count / known : 0;
  int64_t total = 1;
  for (size_t i = 1; i < dims.size(); ++i) total *= dims[i];
  if (total != count) return Fail(n, "element count changes");
  dims[0] = in.dims[0];
  EmitReshape(in, dims, n.outputs[0], Sym());
  return Status::Ok();
}

Status Lowering::ConstantOfShape(const onnx::Node& n) {
  auto shape = GetConstant(n, 0);
  if (!shape.ok()) return shape.status();
  float fill = 0.0f;
  if (const onnx::Attribute* a = n.Find("value"); a != nullptr) {
    if (a->t.size() != 1 || a->t[0].data_type != onnx::kFloat || a->t[0].floats.size() != 1) {
      return Fail(n, "value must be one float");
    }
    fill = a->t[0].floats[0];
  }
  onnx::Tensor& t = made_.emplace_back();
  t.name = n.outputs[0];
  t.data_type = onnx::kFloat;
  t.dims = shape.value()->ints;
  int64_t count = 1;
  for (int64_t d : t.dims) {
    if (d < 0 || d > (int64_t{1} << 28)) return Fail(n, "invalid shape");
    count *= d;
    if (count > (int64_t{1} << 28)) return Fail(n, "too large");
  }
  t.floats.assign(static_cast<size_t>(count), fill);
  Sym s;
  s.constant = &t;
  s.dims = t.dims;
  syms_[n.outputs[0]] = s;
  return Status::Ok();
}

// Physical dimension (batch = 0) of logical axis `axis` of `s`.
size_t Lowering::PhysicalAxis(const Sym& s, int64_t axis) {
  if (!s.nchw) return static_cast<size_t>(axis);
  static constexpr size_t kNchwToNhwc[4] = {0, 3, 1, 2};
  return kNchwToNhwc[axis];
}

// Adds a constant-pad op of `in` with `before`/`after` zeros per logical axis.
void Lowering::EmitPad(const Sym& in, const std::vector<int64_t>& before,
                       const std::vector<int64_t>& after, float value,
                       const std::string& out_name) {
  NhwcOp op;
  op.kind = Kind::kPad;
  op.inputs = {in.value};
  op.pad_before.assign(in.dims.size(), 0);
  op.pad_after.assign(in.dims.size(), 0);
  Sym out = in;
  out.alias = false;
  for (size_t axis = 0; axis < in.dims.size(); ++axis) {
    const size_t p = PhysicalAxis(in, static_cast<int64_t>(axis));
    op.pad_before[p] = static_cast<size_t>(before[axis]);
    op.pad_after[p] = static_cast<size_t>(after[axis]);
    out.dims[axis] += before[axis] + after[axis];
  }
  op.pad_value = value;
  Emit(std::move(op), out_name, out);
}

Status Lowering::Concat(const onnx::Node& n) {
  // Tensors and zero constants along one axis. XNNPACK (2022) has no concatenation: each tensor
  // is zero-padded to the full size at its place (the constants only shift the places), and the
  // padded tensors are added. Exact (x + 0 = x); for one tensor it is a single pad.
  std::vector<const Sym*> parts;
  const Sym* first_tensor = nullptr;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    auto s = Get(n, i);
    if (!s.ok()) return s.status();
    parts.push_back(s.value());
    if (s.value()->value >= 0 && first_tensor == nullptr) first_tensor = s.value();
  }
  if (first_tensor == nullptr) return Fail(n, "no tensor input");
  const Sym model = *first_tensor;
  const int64_t rank = static_cast<int64_t>(model.dims.size());
  int64_t axis = n.Int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis <= 0 || axis >= rank) return Fail(n, "invalid axis (or the batch axis)");
  const auto ax = static_cast<size_t>(axis);
  int64_t total = 0;
  for (const Sym* p : parts) {
    if (p->value >= 0) {
      if (p->flattened_nhwc || p->nchw != model.nchw) return Fail(n, "inputs of another layout");
    } else if (p->constant->data_type != onnx::kFloat) {
      return Fail(n, "constant of another type");
    } else {
      for (float v : p->constant->floats) {
        if (v != 0.0f) return Fail(n, "only concatenation with zero constants is supported");
      }
    }
    if (p->dims.size() != model.dims.size()) return Fail(n, "inputs of another rank");
    for (size_t d = 1; d < model.dims.size(); ++d) {
      if (d != ax && p->dims[d] != model.dims[d]) return Fail(n, "input shapes do not match");
    }
    total += p->dims[ax];
  }
  // Each tensor zero-padded to the full size at its place (the constants only shift places); a
  // lone tensor's pad writes the output.
  const auto tensors =
      std::count_if(parts.begin(), parts.end(), [](const Sym* p) { return p->value >= 0; });
  std::vector<std::string> padded;
  int64_t offset = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Sym part = *parts[i];
    const int64_t size = part.dims[ax];
    if (part.value >= 0) {
      std::vector<int64_t> before(model.dims.size(), 0), after(model.dims.size(), 0);
      before[ax] = offset;
      after[ax] = total - offset - size;
      padded.push_back(tensors == 1 ? n.outputs[0] : n.outputs[0] + "#part" + std::to_string(i));
      EmitPad(part, before, after, 0.0f, padded.back());
    }
    offset += size;
  }
  // Their sum; the last addition writes the output.
  std::string sum = padded.front();
  for (size_t k = 1; k < padded.size(); ++k) {
    const std::string next =
        k + 1 == padded.size() ? n.outputs[0] : n.outputs[0] + "#sum" + std::to_string(k);
    NhwcOp add;
    add.kind = Kind::kAdd;
    add.inputs = {syms_[sum].value, syms_[padded[k]].value};
    Sym out = syms_[sum];
    out.alias = false;
    Emit(std::move(add), next, out);
    sum = next;
  }
  return Status::Ok();
}

Status Lowering::Pad(const onnx::Node& n) {
  auto x = GetValue(n, 0);
  if (!x.ok()) return x.status();
  const Sym in = *x.value();
  if (in.flattened_nhwc) return Fail(n, "pad of a flattened image");
  const onnx::Attribute* mode = n.Find("mode");
  if (mode != nullptr && mode->s != "constant") return Fail(n, "only constant padding");
  std::vector<int64_t> pads = n.Ints("pads");
  float value = n.Float("value", 0.0f);
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {  // opset >= 11
    auto p = GetConstant(n, 1);
    if (!p.ok()) return p.status();
    pads = p.value()->ints;
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      auto v = GetConstant(n, 2);
      if (!v.ok()) return v.status();
      if (v.value()->floats.size() != 1) return Fail(n, "constant_value must be a float scalar");
      value = v.value()->floats[0];
    }
  }
  const size_t rank = in.dims.size();
  if (pads.size() != 2 * rank) return Fail(n, "pads must have 2 x rank values");
  if (pads[0] != 0 || pads[rank] != 0) return Fail(n, "padding the batch");
  for (int64_t p : pads) {
    if (p < 0) return Fail(n, "negative pads (cropping)");
  }
  EmitPad(in, std::vector<int64_t>(pads.begin(), pads.begin() + static_cast<int64_t>(rank)),
          std::vector<int64_t>(pads.begin() + static_cast<int64_t>(rank), pads.end()), value,
          n.outputs[0]);
  return Status::Ok();
}

}  // namespace facet::nn::lowering
