// ConvTranspose -> XNNPACK deconvolution (NHWC). Part of the ONNX -> NHWC lowering
// (nn/nhwc_lowering.h); RetinaFace's FPN upsamples with it (nearest x2 written as a depthwise
// 2x2 / stride 2 transposed convolution with weights 1: tools/convert/retinaface2onnx.py).
#include "nn/nhwc_lowering.h"

namespace facet::nn::lowering {

Status Lowering::ConvTranspose(const onnx::Node& n) {
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
  if (n.Find("output_shape") != nullptr) return Fail(n, "output_shape not supported (use pads)");
  // ONNX weights: [C_in, C_out / group, kh, kw].
  const int64_t c = in.dims[1], h = in.dims[2], wd = in.dims[3];
  const int64_t group = n.Int("group", 1);
  const int64_t cin = weights.dims[0], cout_g = weights.dims[1];
  const int64_t kh = weights.dims[2], kw = weights.dims[3];
  if (group < 1 || cin != c || c % group != 0) return Fail(n, "channels do not match the group");
  NhwcOp op;
  FACET_RETURN_IF_ERROR(Geometry(n, kh, kw, &op));
  const std::vector<int64_t> adjust = n.Ints("output_padding", {0, 0});
  if (adjust.size() != 2 || adjust[0] < 0 || adjust[1] < 0) return Fail(n, "invalid output_padding");
  const int64_t cin_g = c / group, m = cout_g * group;
  const int64_t oh = static_cast<int64_t>(op.stride_h) * (h - 1) + adjust[0] +
                     static_cast<int64_t>(op.dilation_h) * (kh - 1) + 1 - op.pad_top - op.pad_bottom;
  const int64_t ow = static_cast<int64_t>(op.stride_w) * (wd - 1) + adjust[1] +
                     static_cast<int64_t>(op.dilation_w) * (kw - 1) + 1 - op.pad_left - op.pad_right;
  if (oh < 1 || ow < 1) return Fail(n, "empty output");
  std::vector<float> bias(static_cast<size_t>(m), 0.0f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto b = GetConstant(n, 2);
    if (!b.ok()) return b.status();
    if (b.value()->floats.size() != bias.size()) return Fail(n, "bias size");
    bias = b.value()->floats;
  }
  // [group * cin_g, cout_g, kh, kw] -> XNNPACK's [group * cout_g, kh, kw, cin_g].
  const std::vector<float>& src = weights.floats;
  std::vector<float> dst(src.size());
  for (int64_t g = 0; g < group; ++g) {
    for (int64_t i = 0; i < cin_g; ++i) {
      for (int64_t o = 0; o < cout_g; ++o) {
        for (int64_t y = 0; y < kh; ++y) {
          for (int64_t xx = 0; xx < kw; ++xx) {
            dst[static_cast<size_t>((((g * cout_g + o) * kh + y) * kw + xx) * cin_g + i)] =
                src[static_cast<size_t>((((g * cin_g + i) * cout_g + o) * kh + y) * kw + xx)];
          }
        }
      }
    }
  }
  op.kind = Kind::kDeconvolution;
  op.groups = static_cast<int>(group);
  op.group_input_channels = static_cast<size_t>(cin_g);
  op.group_output_channels = static_cast<size_t>(cout_g);
  op.adjust_h = static_cast<int>(adjust[0]);
  op.adjust_w = static_cast<int>(adjust[1]);
  op.weights = NewConstant({static_cast<size_t>(m), static_cast<size_t>(kh), static_cast<size_t>(kw),
                            static_cast<size_t>(cin_g)},
                           std::move(dst));
  op.bias = NewConstant({static_cast<size_t>(m)}, std::move(bias));
  op.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], m, oh, ow};
  out.nchw = true;
  Emit(std::move(op), n.outputs[0], out);
  return Status::Ok();
}

}  // namespace facet::nn::lowering
