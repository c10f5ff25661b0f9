#include "detect/retinaface.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet::detect {
namespace {

// Channels of the class, box and landmark maps (two anchors per cell).
constexpr std::array<int, 3> kChannels = {4, 8, 20};
constexpr std::array<const char*, 3> kOutputPrefixes = {"cls_stride", "bbox_stride",
                                                        "landmark_stride"};

}  // namespace

Result<std::unique_ptr<RetinaFace>> RetinaFace::Create(const nn::ModelFile& model) {
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  const std::vector<std::string>& names = network.value()->output_names();
  std::array<int, 9> index{};
  for (size_t level = 0; level < kRetinaFaceStrides.size(); ++level) {
    for (size_t kind = 0; kind < kOutputPrefixes.size(); ++kind) {
      const std::string want =
          kOutputPrefixes[kind] + std::to_string(kRetinaFaceStrides[level]);
      auto it = std::find(names.begin(), names.end(), want);
      if (it == names.end()) {
        return Status::CorruptData(model.path() + ": no output '" + want +
                                   "' (not a model written by tools/convert/retinaface2onnx.py)");
      }
      index[level * 3 + kind] = static_cast<int>(it - names.begin());
    }
  }
  return std::unique_ptr<RetinaFace>(new RetinaFace(std::move(network).value(), index));
}

Status RetinaFace::DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region, float scale,
                                float score_threshold, std::vector<Detection>* detections) {
  const cv::Rect inside = region & cv::Rect(0, 0, image_bgr.cols, image_bgr.rows);
  if (inside.width <= 0 || inside.height <= 0 || !(scale > 0)) return Status::Ok();
  const auto round_up = [](int v) { return (v + kAlignment - 1) / kAlignment * kAlignment; };
  const int input_w = round_up(std::max(1, static_cast<int>(std::lround(region.width * scale))));
  const int input_h = round_up(std::max(1, static_cast<int>(std::lround(region.height * scale))));
  if (input_w > kMaxInputSide || input_h > kMaxInputSide) {
    return Status::InvalidArgument("RetinaFace: input " + std::to_string(input_w) + "x" +
                                   std::to_string(input_h) + " exceeds " +
                                   std::to_string(kMaxInputSide) + " pixels a side");
  }
  const int dst_x = std::clamp(static_cast<int>(std::lround((inside.x - region.x) * scale)), 0,
                               input_w - 1);
  const int dst_y = std::clamp(static_cast<int>(std::lround((inside.y - region.y) * scale)), 0,
                               input_h - 1);
  const int dst_w =
      std::clamp(static_cast<int>(std::lround(inside.width * scale)), 1, input_w - dst_x);
  const int dst_h =
      std::clamp(static_cast<int>(std::lround(inside.height * scale)), 1, input_h - dst_y);
  // Large shrinks: an integer area step first (fast), then the fractional rest.
  cv::Mat source = image_bgr(inside);
  cv::Rect used = inside;
  if (scale < 0.5f) {
    const cv::Rect shrunk =
        image::ShrinkByInteger(source, static_cast<int>(1.0f / scale), &shrunk_);
    if (!shrunk.empty()) {
      used = {inside.x, inside.y, shrunk.width, shrunk.height};
      source = shrunk_;
    }
  }
  canvas_.create(input_h, input_w, CV_8UC3);
  canvas_.setTo(cv::Scalar::all(0));
  cv::Mat target = canvas_(cv::Rect(dst_x, dst_y, dst_w, dst_h));
  if (source.size() == target.size()) {
    source.copyTo(target);
  } else {
    cv::resize(source, target, target.size(), 0, 0,
               dst_w < source.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  // Input pixel u shows image pixel inside.x + (u - dst_x) * used.width / dst_w (left edges).
  const float to_image_x = static_cast<float>(used.width) / static_cast<float>(dst_w);
  const float to_image_y = static_cast<float>(used.height) / static_cast<float>(dst_h);
  cv::cvtColor(canvas_, canvas_, cv::COLOR_BGR2RGB);
  // NHWC float input, (x - 127.5) / 128 (the normalisation the original graph did itself).
  canvas_.convertTo(input_float_, CV_32F, 1.0 / 128, -127.5 / 128);
  const int dims[] = {1, input_h, input_w, 3};
  const cv::Mat blob(4, dims, CV_32F, input_float_.ptr<float>());
  FACET_RETURN_IF_ERROR(network_->Forward(blob, &outputs_));

  found_.clear();
  for (size_t level = 0; level < kRetinaFaceStrides.size(); ++level) {
    const int stride = kRetinaFaceStrides[level];
    RetinaFaceLevel l;
    l.stride = stride;
    l.anchor_sizes = RetinaFaceAnchorSizes(stride);
    l.height = input_h / stride;
    l.width = input_w / stride;
    const float* maps[3];
    for (size_t kind = 0; kind < 3; ++kind) {
      const cv::Mat& out = outputs_[static_cast<size_t>(output_index_[level * 3 + kind])];
      if (out.total() != static_cast<size_t>(l.height) * static_cast<size_t>(l.width) *
                             static_cast<size_t>(kChannels[kind])) {
        return Status::Internal("RetinaFace: unexpected output shape at stride " +
                                std::to_string(stride));
      }
      maps[kind] = out.ptr<float>();
    }
    l.class_logits = maps[0];
    l.box_deltas = maps[1];
    l.landmark_deltas = maps[2];
    DecodeRetinaFaceLevel(l, score_threshold, &found_);
  }
  const auto ox = static_cast<float>(inside.x), oy = static_cast<float>(inside.y);
  const auto px = static_cast<float>(dst_x), py = static_cast<float>(dst_y);
  for (Detection& d : found_) {
    d.box = {ox + (d.box.x - px) * to_image_x, oy + (d.box.y - py) * to_image_y,
             d.box.width * to_image_x, d.box.height * to_image_y};
    for (Point& p : d.landmarks) p = {ox + (p.x - px) * to_image_x, oy + (p.y - py) * to_image_y};
    detections->push_back(d);
  }
  return Status::Ok();
}

}  // namespace facet::detect
