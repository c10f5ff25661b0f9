#include "redact/look_back.h"

#include <algorithm>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "detect/detection.h"
#include "image/convert.h"

namespace facet::redact {

bool ShotCutDetector::IsCut(const Image& frame) {
  constexpr int kWidth = 64, kHeight = 36;
  // A sample of the frame (nearest pixels, 2x2 per cell: ~9,000 pixels read) then averaged: an
  // area resize of a whole 1080p frame cost ~10 ms per frame on the tracking thread.
  cv::Mat sampled, small, grey;
  cv::resize(image::AsMat(frame), sampled, cv::Size(2 * kWidth, 2 * kHeight), 0, 0,
             cv::INTER_NEAREST);
  cv::resize(sampled, small, cv::Size(kWidth, kHeight), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  std::vector<uint8_t> thumbnail(grey.data, grey.data + kWidth * kHeight);
  bool cut = true;
  if (previous_.size() == thumbnail.size()) {
    double difference = 0;
    for (size_t i = 0; i < thumbnail.size(); ++i) {
      difference += std::abs(static_cast<int>(thumbnail[i]) - static_cast<int>(previous_[i]));
    }
    cut = difference / static_cast<double>(thumbnail.size()) >= kCutDifference;
  }
  previous_ = std::move(thumbnail);
  return cut;
}

void LookBack::Observe(int64_t index, const std::vector<Track>& tracks, bool cut) {
  if (options_.frames <= 0) return;
  if (cut) shot_start_ = index;
  for (const Track& track : tracks) {
    if (track.detections == 1 && track.frames_without_detection == 0) {
      births_.push_back({.track_id = track.id,
                         .frame = index,
                         .shot_start = shot_start_,
                         .box = track.detected_box,
                         .confident = track.confident,
                         .named = !track.identity.empty()});
      continue;
    }
    for (Birth& birth : births_) {
      if (birth.track_id != track.id) continue;
      birth.confident = birth.confident || track.confident;
      birth.velocity_x = track.velocity_x;
      birth.velocity_y = track.velocity_y;
    }
  }
}

std::vector<Box> LookBack::BoxesFor(int64_t index, const std::vector<Box>& drawn) {
  while (!births_.empty() && births_.front().frame <= index) births_.pop_front();
  std::vector<Box> boxes;
  for (const Birth& birth : births_) {
    const int64_t back = birth.frame - index;
    if (back > options_.frames) break;
    if (!birth.confident || birth.named || index < birth.shot_start) continue;
    const Box box = HeldBox(birth.box, birth.velocity_x, birth.velocity_y, -static_cast<int>(back),
                            options_.held);
    const bool same_face = std::any_of(drawn.begin(), drawn.end(), [&](const Box& d) {
      return detect::IntersectionOverUnion(d, box) >= options_.same_face_iou;
    });
    if (!same_face) boxes.push_back(box);
  }
  return boxes;
}

}  // namespace facet::redact
