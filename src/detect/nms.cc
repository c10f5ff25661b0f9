#include "detect/nms.h"

#include <algorithm>

namespace facet::detect {

float IntersectionArea(const Box& a, const Box& b) {
  const float x0 = std::max(a.x, b.x);
  const float y0 = std::max(a.y, b.y);
  const float x1 = std::min(a.x + a.width, b.x + b.width);
  const float y1 = std::min(a.y + a.height, b.y + b.height);
  return std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
}

float IntersectionOverUnion(const Box& a, const Box& b) {
  const float intersection = IntersectionArea(a, b);
  const float union_area = a.width * a.height + b.width * b.height - intersection;
  return union_area > 0 ? intersection / union_area : 0.0f;
}

std::vector<Detection> SuppressOverlaps(std::vector<Detection> detections,
                                        const NmsOptions& options) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  std::vector<bool> used(detections.size(), false);
  for (size_t i = 0; i < detections.size(); ++i) {
    if (used[i]) continue;
    const Detection& leader = detections[i];
    if (options.method == NmsMethod::kHard) {
      for (size_t j = i + 1; j < detections.size(); ++j) {
        if (!used[j] &&
            IntersectionOverUnion(leader.box, detections[j].box) > options.iou_threshold) {
          used[j] = true;
        }
      }
      kept.push_back(leader);
      continue;
    }
    Detection merged{};
    float weight_sum = 0;
    for (size_t j = i; j < detections.size(); ++j) {
      if (used[j]) continue;
      if (j != i && IntersectionOverUnion(leader.box, detections[j].box) <= options.iou_threshold) {
        continue;
      }
      used[j] = true;
      const Detection& d = detections[j];
      const float w = d.score;
      weight_sum += w;
      merged.box.x += w * d.box.x;
      merged.box.y += w * d.box.y;
      merged.box.width += w * d.box.width;
      merged.box.height += w * d.box.height;
      for (int k = 0; k < kNumKeypoints; ++k) {
        merged.keypoints[k].x += w * d.keypoints[k].x;
        merged.keypoints[k].y += w * d.keypoints[k].y;
      }
      for (size_t k = 0; k < merged.landmarks.size(); ++k) {
        merged.landmarks[k].x += w * d.landmarks[k].x;
        merged.landmarks[k].y += w * d.landmarks[k].y;
      }
    }
    if (weight_sum <= 0) {
      kept.push_back(leader);
      continue;
    }
    const float inv = 1.0f / weight_sum;
    merged.box = {merged.box.x * inv, merged.box.y * inv, merged.box.width * inv,
                  merged.box.height * inv};
    for (auto& p : merged.keypoints) p = {p.x * inv, p.y * inv};
    for (auto& p : merged.landmarks) p = {p.x * inv, p.y * inv};
    merged.score = leader.score;
    merged.has_landmarks = leader.has_landmarks;
    kept.push_back(merged);
  }
  return kept;
}

}  // namespace facet::detect
