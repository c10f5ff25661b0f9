// ConvTranspose as nearest-neighbour x2 upsampling, facet's kernel (nn/fused_kernels.h). Part of
// the ONNX -> NHWC lowering (nn/nhwc_lowering.h); RetinaFace's FPN upsamples with it, written by
// tools/convert/retinaface2onnx.py as a depthwise 2x2 / stride 2 transposed convolution with
// weights 1. Any other transposed convolution is refused by name.
#include "nn/nhwc_lowering.h"

#include <algorithm>

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
  const std::vector<float>& src = weights.floats;
  const bool nearest_x2 =
      group == c && cin_g == 1 && cout_g == 1 && kh == 2 && kw == 2 && op.stride_h == 2 &&
      op.stride_w == 2 && op.dilation_h == 1 && op.dilation_w == 1 && op.pad_top == 0 &&
      op.pad_left == 0 && op.pad_bottom == 0 && op.pad_right == 0 && adjust[0] == 0 &&
      adjust[1] == 0 && std::all_of(src.begin(), src.end(), [](float v) { return v == 1.0f; }) &&
      std::all_of(bias.begin(), bias.end(), [](float v) { return v == 0.0f; });
  if (!nearest_x2) {
    return Fail(n, "only nearest x2 upsampling (depthwise 2x2 / stride 2, weights 1, no bias) is "
                   "supported");
  }
  // Every input pixel copied into a 2x2 block: facet's kernel, not XNNPACK's grouped GEMM.
  NhwcOp up;
  up.kind = Kind::kUpsampleNearest2x;
  up.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], m, oh, ow};
  out.nchw = true;
  Emit(std::move(up), n.outputs[0], out);
  return Status::Ok();
}

}  // namespace facet::nn::lowering
