#include "detect/blazeface.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet::detect {
namespace {

// The model's outputs as OpenCV names them: scores and regressors of the two anchor levels.
constexpr int kLevel0Anchors = 512;
constexpr int kLevel1Anchors = 384;
constexpr int kRegressorsPerAnchor = 16;

}  // namespace

BlazeFace::BlazeFace(std::unique_ptr<nn::Network> network)
    : network_(std::move(network)), anchors_(BlazeFaceBackAnchors()) {}

Result<std::unique_ptr<BlazeFace>> BlazeFace::Create(const nn::ModelFile& model) {
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  if (network.value()->output_names().size() != 4) {
    return Status::CorruptData(model.path() + ": expected 4 outputs (scores and regressors of "
                               "two anchor levels), found " +
                               std::to_string(network.value()->output_names().size()));
  }
  return std::unique_ptr<BlazeFace>(new BlazeFace(std::move(network).value()));
}

Status BlazeFace::DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region,
                               float score_threshold, std::vector<Detection>* detections) {
  // The region may extend past the image (e.g. padding for faces cut by the frame); only the
  // part inside the image is copied, the rest of the letterbox stays black.
  const cv::Rect inside = region & cv::Rect(0, 0, image_bgr.cols, image_bgr.rows);
  if (inside.width <= 0 || inside.height <= 0 || region.width <= 0 || region.height <= 0) {
    return Status::Ok();
  }
  const float scale =
      static_cast<float>(kInputSize) / static_cast<float>(std::max(region.width, region.height));
  const float origin_x =
      (kInputSize - static_cast<float>(region.width) * scale) / 2 - static_cast<float>(region.x) * scale;
  const float origin_y =
      (kInputSize - static_cast<float>(region.height) * scale) / 2 - static_cast<float>(region.y) * scale;
  const int dst_x = std::clamp(static_cast<int>(std::lround(origin_x + inside.x * scale)), 0, kInputSize - 1);
  const int dst_y = std::clamp(static_cast<int>(std::lround(origin_y + inside.y * scale)), 0, kInputSize - 1);
  // Large frames are first area-averaged by an integer factor (fast), leaving the fractional
  // rest (less than 2x) to the final resize; the few edge pixels the integer step leaves out
  // (fewer than the factor) stay black like the letterbox bars.
  cv::Mat source = image_bgr(inside);
  cv::Rect used = inside;
  const cv::Rect shrunk = image::ShrinkByInteger(source, static_cast<int>(1.0f / scale), &shrunk_);
  if (!shrunk.empty()) {
    used = {inside.x, inside.y, shrunk.width, shrunk.height};
    source = shrunk_;
  }
  const int dst_w = std::clamp(static_cast<int>(std::lround(used.width * scale)), 1, kInputSize - dst_x);
  const int dst_h = std::clamp(static_cast<int>(std::lround(used.height * scale)), 1, kInputSize - dst_y);
  // After the integer step the rest is under 2x: bilinear (WIDER fast AP .725/.573/.295 against
  // .722/.571/.294 with a second area step, and .725/.575/.298 with one fractional area resize
  // of the whole frame, which costs 9 ms on a 1920x1398 photo).
  cv::resize(source, resized_, cv::Size(dst_w, dst_h), 0, 0,
             scale < 1.0f && shrunk.empty() ? cv::INTER_AREA : cv::INTER_LINEAR);
  letterboxed_.create(kInputSize, kInputSize, CV_8UC3);
  letterboxed_.setTo(cv::Scalar::all(0));
  resized_.copyTo(letterboxed_(cv::Rect(dst_x, dst_y, dst_w, dst_h)));
  // Input pixel u maps to image pixel (u - offset_x) / scale with offset_x the image origin in
  // input pixels, after rounding of the pasted region.
  const float pad_x = static_cast<float>(dst_x) - inside.x * scale;
  const float pad_y = static_cast<float>(dst_y) - inside.y * scale;
  cv::cvtColor(letterboxed_, letterboxed_, cv::COLOR_BGR2RGB);
  // NHWC float input, x / 127.5 - 1. A continuous 256x256x3 Mat is already NHWC in memory.
  letterboxed_.convertTo(input_float_, CV_32F, 1.0 / 127.5, -1.0);
  const int dims[] = {1, kInputSize, kInputSize, 3};
  const cv::Mat blob(4, dims, CV_32F, input_float_.ptr<float>());
  FACET_RETURN_IF_ERROR(network_->Forward(blob, &outputs_));

  // Outputs (sorted by OpenCV by name): scores L0 [1,512,1], scores L1 [1,384,1],
  // regressors L0 [1,512,16], regressors L1 [1,384,16].
  const float* scores[2] = {outputs_[0].ptr<float>(), outputs_[1].ptr<float>()};
  const float* regressors[2] = {outputs_[2].ptr<float>(), outputs_[3].ptr<float>()};
  if (outputs_[0].total() != kLevel0Anchors || outputs_[1].total() != kLevel1Anchors ||
      outputs_[2].total() != kLevel0Anchors * kRegressorsPerAnchor ||
      outputs_[3].total() != kLevel1Anchors * kRegressorsPerAnchor) {
    return Status::Internal("BlazeFace: unexpected output shapes");
  }
  const float logit_threshold =
      std::log(score_threshold / std::max(1e-6f, 1.0f - score_threshold));
  const float inv_scale = 1.0f / scale;
  for (int level = 0; level < 2; ++level) {
    const int count = level == 0 ? kLevel0Anchors : kLevel1Anchors;
    const int first_anchor = level == 0 ? 0 : kLevel0Anchors;
    for (int i = 0; i < count; ++i) {
      if (scores[level][i] < logit_threshold) continue;
      Detection d = DecodeAnchor(anchors_[first_anchor + i],
                                 regressors[level] + i * kRegressorsPerAnchor, scores[level][i],
                                 static_cast<float>(kInputSize));
      // From letterboxed input pixels back to image pixels.
      d.box = {(d.box.x - pad_x) * inv_scale, (d.box.y - pad_y) * inv_scale,
               d.box.width * inv_scale, d.box.height * inv_scale};
      for (Point& p : d.keypoints) p = {(p.x - pad_x) * inv_scale, (p.y - pad_y) * inv_scale};
      detections->push_back(d);
    }
  }
  return Status::Ok();
}

}  // namespace facet::detect
