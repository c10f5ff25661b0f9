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

}  // namespace facet::detect
