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

void DecodeRetinaFaceLevel(const RetinaFaceLevel& level, const RetinaFaceDecoding& decoding,
                           float score_threshold, std::vector<Detection>* detections) {
  const float t = std::clamp(score_threshold, 1e-6f, 1.0f - 1e-6f);
  // Logits: p >= t  <=>  face - background logit >= log(t / (1 - t)).
  const float logit_threshold = std::log(t / (1.0f - t));
  const bool probabilities = decoding.scores == RetinaFaceScores::kTwoClassProbabilities;
  const auto stride = static_cast<float>(level.stride);
  const auto anchors = static_cast<size_t>(std::clamp(level.anchors, 1, kMaxAnchorsPerCell));
  const size_t class_channels = 2 * anchors, box_channels = 4 * anchors;
  const size_t landmark_channels = 10 * anchors;
  const bool with_landmarks = decoding.landmarks && level.landmark_deltas != nullptr;
  const auto [centre_variance, size_variance] = decoding.box_variance;
  for (int y = 0; y < level.height; ++y) {
    for (int x = 0; x < level.width; ++x) {
      const size_t cell = static_cast<size_t>(y) * static_cast<size_t>(level.width) +
                          static_cast<size_t>(x);
      const float* scores = level.class_logits + cell * class_channels;
      for (size_t a = 0; a < anchors; ++a) {
        float probability = 0;
        if (probabilities) {
          probability = scores[anchors + a];
          if (!(probability >= t)) continue;
        } else {
          const float margin = scores[anchors + a] - scores[a];
          if (margin < logit_threshold) continue;
          probability = 1.0f / (1.0f + std::exp(-std::clamp(margin, -100.0f, 100.0f)));
        }
        const float size = level.anchor_sizes[a];
        const float ax = stride * static_cast<float>(x) + decoding.anchor_offset;
        const float ay = stride * static_cast<float>(y) + decoding.anchor_offset;
        const float* box = level.box_deltas + cell * box_channels + a * 4;
        Detection d;
        const float cx = ax + size * centre_variance * box[0];
        const float cy = ay + size * centre_variance * box[1];
        const float w = size * std::exp(std::min(size_variance * box[2], 10.0f));
        const float h = size * std::exp(std::min(size_variance * box[3], 10.0f));
        d.box = {cx - w / 2, cy - h / 2, w, h};
        d.score = std::min(probability, 1.0f);
        if (with_landmarks) {
          const float* marks = level.landmark_deltas + cell * landmark_channels + a * 10;
          const float spread = size * decoding.landmark_spread[0] + decoding.landmark_spread[1];
          d.has_landmarks = true;
          for (size_t k = 0; k < d.landmarks.size(); ++k) {
            d.landmarks[k] = {ax + spread * marks[2 * k], ay + spread * marks[2 * k + 1]};
          }
        }
        detections->push_back(d);
      }
    }
  }
}

}  // namespace facet::detect
