#include "detect/anchors.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace facet::detect {

std::vector<Anchor> GenerateAnchors(std::span<const AnchorLevel> levels) {
  std::vector<Anchor> anchors;
  for (const AnchorLevel& level : levels) {
    for (int y = 0; y < level.grid_size; ++y) {
      for (int x = 0; x < level.grid_size; ++x) {
        const Anchor a{(x + 0.5f) / static_cast<float>(level.grid_size),
                       (y + 0.5f) / static_cast<float>(level.grid_size)};
        for (int k = 0; k < level.anchors_per_cell; ++k) anchors.push_back(a);
      }
    }
  }
  return anchors;
}

std::vector<Anchor> BlazeFaceBackAnchors() {
  constexpr std::array<AnchorLevel, 2> kLevels{{{16, 2}, {8, 6}}};
  return GenerateAnchors(kLevels);
}

Detection DecodeAnchor(const Anchor& anchor, const float* regressors, float score_logit,
                       float input_size) {
  Detection d;
  const float ax = anchor.cx * input_size;
  const float ay = anchor.cy * input_size;
  const float cx = regressors[0] + ax;
  const float cy = regressors[1] + ay;
  const float w = regressors[2];
  const float h = regressors[3];
  d.box = {cx - w / 2, cy - h / 2, w, h};
  for (int k = 0; k < kNumKeypoints; ++k) {
    d.keypoints[k] = {regressors[4 + 2 * k] + ax, regressors[5 + 2 * k] + ay};
  }
  const float logit = std::clamp(score_logit, -100.0f, 100.0f);
  d.score = 1.0f / (1.0f + std::exp(-logit));
  return d;
}

std::array<float, 2> RetinaFaceAnchorSizes(int stride) {
  constexpr float kBase = 16;
  switch (stride) {
    case 32: return {kBase * 32, kBase * 16};
    case 16: return {kBase * 8, kBase * 4};
    default: return {kBase * 2, kBase * 1};
  }
}

void DecodeRetinaFaceLevel(const RetinaFaceLevel& level, float score_threshold,
                           std::vector<Detection>* detections) {
  // p >= t  <=>  face - background logit >= log(t / (1 - t)).
  const float t = std::clamp(score_threshold, 1e-6f, 1.0f - 1e-6f);
  const float logit_threshold = std::log(t / (1.0f - t));
  constexpr float kLandmarkScale = 0.18181818f;  // retinaface@0.0.6 dist/index.js
  constexpr float kCentreOffset = 7.5f;          // (16 - 1) / 2: InsightFace's anchor centre
  const auto stride = static_cast<float>(level.stride);
  for (int y = 0; y < level.height; ++y) {
    for (int x = 0; x < level.width; ++x) {
      const size_t cell = static_cast<size_t>(y) * static_cast<size_t>(level.width) +
                          static_cast<size_t>(x);
      const float* logits = level.class_logits + cell * 4;
      for (int a = 0; a < 2; ++a) {
        const float margin = logits[2 + a] - logits[a];
        if (margin < logit_threshold) continue;
        const float size = level.anchor_sizes[static_cast<size_t>(a)];
        const float ax = stride * static_cast<float>(x) + kCentreOffset;
        const float ay = stride * static_cast<float>(y) + kCentreOffset;
        const float* box = level.box_deltas + cell * 8 + static_cast<size_t>(a) * 4;
        const float* marks = level.landmark_deltas + cell * 20 + static_cast<size_t>(a) * 10;
        Detection d;
        const float cx = ax + size * box[0];
        const float cy = ay + size * box[1];
        const float w = size * std::exp(std::min(box[2], 10.0f));
        const float h = size * std::exp(std::min(box[3], 10.0f));
        d.box = {cx - w / 2, cy - h / 2, w, h};
        d.score = 1.0f / (1.0f + std::exp(-std::clamp(margin, -100.0f, 100.0f)));
        const float spread = size * kLandmarkScale + 1.0f;
        d.has_landmarks = true;
        for (size_t k = 0; k < d.landmarks.size(); ++k) {
          d.landmarks[k] = {ax + spread * marks[2 * k], ay + spread * marks[2 * k + 1]};
        }
        detections->push_back(d);
      }
    }
  }
}

}  // namespace facet::detect
