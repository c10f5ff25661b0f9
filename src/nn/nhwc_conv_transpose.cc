// ConvTranspose as nearest-neighbour x2 upsampling, facet's kernel (nn/fused_kernels.h). Part of
// the ONNX -> NHWC lowering (nn/nhwc_lowering.h); RetinaFace's FPN upsamples with it, written by
// tools/convert/retinaface2onnx.py as a depthwise 2x2 / stride 2 transposed convolution with
// weights 1. Any other transposed convolution is refused by name.
#include <algorithm>

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
  const int64_t c = in.dims[1];
  // Nearest x2 upsampling written as a transposed convolution: depthwise (group = channels,
  // weights [C, 1, 2, 2] all 1), stride 2, no padding, dilation or output padding, no bias.
  const auto all = [](const std::vector<float>& v, float value) {
    return std::all_of(v.begin(), v.end(), [value](float e) { return e == value; });
  };
  bool nearest_x2 = weights.data_type == onnx::kFloat &&
                    weights.dims == std::vector<int64_t>{c, 1, 2, 2} && all(weights.floats, 1.0f) &&
                    n.Int("group", 1) == c && n.Find("output_shape") == nullptr &&
                    n.Ints("strides", {1, 1}) == std::vector<int64_t>{2, 2} &&
                    n.Ints("dilations", {1, 1}) == std::vector<int64_t>{1, 1} &&
                    n.Ints("pads", {0, 0, 0, 0}) == std::vector<int64_t>{0, 0, 0, 0} &&
                    n.Ints("output_padding", {0, 0}) == std::vector<int64_t>{0, 0};
  const onnx::Attribute* auto_pad = n.Find("auto_pad");
  if (auto_pad != nullptr && auto_pad->s != "NOTSET" && auto_pad->s != "VALID") nearest_x2 = false;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    auto b = GetConstant(n, 2);
    if (!b.ok()) return b.status();
    nearest_x2 = nearest_x2 && all(b.value()->floats, 0.0f);
  }
  if (!nearest_x2) {
    return Fail(n,
                "only nearest x2 upsampling (depthwise 2x2 / stride 2, weights 1, no bias) is "
                "supported");
  }
  // Every input pixel copied into a 2x2 block: facet's kernel, not XNNPACK's grouped GEMM.
  NhwcOp up;
  up.kind = Kind::kUpsampleNearest2x;
  up.inputs = {in.value};
  Sym out;
  out.dims = {in.dims[0], c, 2 * in.dims[2], 2 * in.dims[3]};
  out.nchw = true;
  Emit(std::move(up), n.outputs[0], out);
  return Status::Ok();
}

}  // namespace facet::nn::lowering
