#include "detect/retinaface.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "image/convert.h"

namespace facet::detect {
namespace {

constexpr std::array<int, 3> kChannelsPerAnchor = {2, 4, 10};  // scores, boxes, landmarks

Status NoOutput(const std::string& path, const std::string& name,
                const std::vector<std::string>& names) {
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  return Status::CorruptData(path + ": no output '" + name + "' (the model's outputs: " + known +
                             ")");
}

}  // namespace

RetinaFaceSpec BuiltInRetinaFaceSpec() {
  RetinaFaceSpec spec;
  for (int stride : kRetinaFaceStrides) {
    RetinaFaceLevelSpec level;
    level.stride = stride;
    level.anchors = 2;
    const std::array<float, 2> sizes = RetinaFaceAnchorSizes(stride);
    level.anchor_sizes = {sizes[0], sizes[1]};
    level.scores = "cls_stride" + std::to_string(stride);
    level.boxes = "bbox_stride" + std::to_string(stride);
    level.landmarks = "landmark_stride" + std::to_string(stride);
    spec.levels.push_back(level);
  }
  return spec;
}

Result<std::unique_ptr<RetinaFace>> RetinaFace::Create(const nn::ModelFile& model,
                                                       const RetinaFaceSpec& spec) {
  if (spec.levels.empty()) return Status::InvalidArgument("RetinaFace: no output level");
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  const std::vector<std::string>& names = network.value()->output_names();
  std::vector<std::array<int, 3>> index;
  for (const RetinaFaceLevelSpec& level : spec.levels) {
    std::array<int, 3> found{-1, -1, -1};
    const std::array<const std::string*, 3> wanted = {&level.scores, &level.boxes,
                                                      &level.landmarks};
    for (size_t kind = 0; kind < 3; ++kind) {
      if (kind == 2 && !spec.decoding.landmarks) continue;
      auto it = std::find(names.begin(), names.end(), *wanted[kind]);
      if (it == names.end()) return NoOutput(model.path(), *wanted[kind], names);
      found[kind] = static_cast<int>(it - names.begin());
    }
    index.push_back(found);
  }
  return std::unique_ptr<RetinaFace>(
      new RetinaFace(std::move(network).value(), spec, std::move(index)));
}

Result<const float*> RetinaFace::Map(size_t level, size_t kind, int height, int width,
                                     int channels) {
  const int at = output_index_[level][kind];
  if (at < 0) return static_cast<const float*>(nullptr);
  const cv::Mat& out = outputs_[static_cast<size_t>(at)];
  const int stride = spec_.levels[level].stride;
  const std::array<int, 3> want = spec_.nchw_outputs ? std::array<int, 3>{channels, height, width}
                                                     : std::array<int, 3>{height, width, channels};
  bool match = out.total() == static_cast<size_t>(height) * static_cast<size_t>(width) *
                                  static_cast<size_t>(channels);
  if (match && out.dims == 4) {
    for (int i = 0; i < 3; ++i) match = match && out.size[i + 1] == want[static_cast<size_t>(i)];
  }
  if (!match) {
    std::string got;
    for (int i = 0; i < out.dims; ++i) got += (i ? "x" : "") + std::to_string(out.size[i]);
    return Status::InvalidArgument(
        "RetinaFace: output '" + network_->output_names()[static_cast<size_t>(at)] + "' is " + got +
        ", stride " + std::to_string(stride) + " with " +
        std::to_string(spec_.levels[level].anchors) + " anchors per cell needs 1x" +
        std::to_string(want[0]) + "x" + std::to_string(want[1]) + "x" + std::to_string(want[2]) +
        (spec_.nchw_outputs ? " (NCHW)" : " (NHWC)"));
  }
  if (!spec_.nchw_outputs) return out.ptr<float>();
  // [C, h*w] -> [h*w, C]: the decoder reads NHWC.
  cv::Mat& nhwc = transposed_[level * 3 + kind];
  cv::transpose(cv::Mat(channels, height * width, CV_32F, const_cast<float*>(out.ptr<float>())),
                nhwc);
  return nhwc.ptr<float>();
}

Status RetinaFace::DetectRegion(const cv::Mat& image_bgr, const cv::Rect& region, float scale,
                                float score_threshold, std::vector<Detection>* detections) {
  const cv::Rect inside = region & cv::Rect(0, 0, image_bgr.cols, image_bgr.rows);
  if (inside.width <= 0 || inside.height <= 0 || !(scale > 0)) return Status::Ok();
  int input_w = 0, input_h = 0;
  if (spec_.fixed_width > 0) {
    // A fixed input: the region scaled to fit it (at most `scale`), padded right and bottom.
    scale =
        std::min({scale, static_cast<float>(spec_.fixed_width) / static_cast<float>(region.width),
                  static_cast<float>(spec_.fixed_height) / static_cast<float>(region.height)});
    input_w = spec_.fixed_width;
    input_h = spec_.fixed_height;
  } else {
    const int m = std::max(1, spec_.multiple);
    const auto round_up = [m](int v) { return (v + m - 1) / m * m; };
    input_w = round_up(std::max(1, static_cast<int>(std::lround(region.width * scale))));
    input_h = round_up(std::max(1, static_cast<int>(std::lround(region.height * scale))));
  }
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
  if (!spec_.bgr) cv::cvtColor(canvas_, canvas_, cv::COLOR_BGR2RGB);
  const std::array<double, 3>& mean = spec_.mean;
  if (mean[0] == mean[1] && mean[1] == mean[2]) {
    canvas_.convertTo(input_float_, CV_32F, spec_.scale, -mean[0] * spec_.scale);
  } else {
    canvas_.convertTo(input_float_, CV_32F);
    input_float_ = (input_float_ - cv::Scalar(mean[0], mean[1], mean[2])) * spec_.scale;
  }
  cv::Mat blob;
  if (spec_.nchw_input) {
    const int dims[] = {1, 3, input_h, input_w};
    planar_.create(4, dims, CV_32F);
    std::vector<cv::Mat> planes(3);
    for (int c = 0; c < 3; ++c) {
      planes[static_cast<size_t>(c)] = cv::Mat(input_h, input_w, CV_32F, planar_.ptr<float>(0, c));
    }
    cv::split(input_float_, planes);
    blob = planar_;
  } else {
    const int dims[] = {1, input_h, input_w, 3};
    blob = cv::Mat(4, dims, CV_32F, input_float_.ptr<float>());
  }
  FACET_RETURN_IF_ERROR(network_->Forward(blob, &outputs_));

  found_.clear();
  transposed_.resize(spec_.levels.size() * 3);
  for (size_t level = 0; level < spec_.levels.size(); ++level) {
    const RetinaFaceLevelSpec& s = spec_.levels[level];
    RetinaFaceLevel l;
    l.stride = s.stride;
    l.anchors = s.anchors;
    l.anchor_sizes = s.anchor_sizes;
    l.height = (input_h + s.stride - 1) / s.stride;
    l.width = (input_w + s.stride - 1) / s.stride;
    std::array<const float*, 3> maps{};
    for (size_t kind = 0; kind < 3; ++kind) {
      auto map = Map(level, kind, l.height, l.width, kChannelsPerAnchor[kind] * s.anchors);
      if (!map.ok()) return map.status();
      maps[kind] = map.value();
    }
    l.class_logits = maps[0];
    l.box_deltas = maps[1];
    l.landmark_deltas = maps[2];
    DecodeRetinaFaceLevel(l, spec_.decoding, score_threshold, &found_);
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
