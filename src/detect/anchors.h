// SSD anchors and box decoding for BlazeFace, the one place anchors are generated and decoded.
#ifndef FACET_SRC_DETECT_ANCHORS_H_
#define FACET_SRC_DETECT_ANCHORS_H_

#include <span>
#include <vector>

#include "detect/detection.h"

namespace facet::detect {

// One feature-map level: a grid_size x grid_size map with anchors_per_cell anchors per cell.
struct AnchorLevel {
  int grid_size = 0;
  int anchors_per_cell = 0;
};

// Anchor centre in 0..1 input coordinates (BlazeFace uses fixed anchor size 1).
struct Anchor {
  float cx = 0;
  float cy = 0;
};

// Anchors in the model's output order: level by level, row-major cells, anchors within a cell.
std::vector<Anchor> GenerateAnchors(std::span<const AnchorLevel> levels);

// The BlazeFace 256 "back" model's levels: 16x16x2 then 8x8x6 = 896 anchors.
std::vector<Anchor> BlazeFaceBackAnchors();

// Decodes one anchor's 16 regressors (cx, cy, w, h, then 6 keypoints x,y; all in input pixels
// relative to the anchor centre) and its score logit into a Detection in input pixels.
Detection DecodeAnchor(const Anchor& anchor, const float* regressors, float score_logit,
                       float input_size);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_ANCHORS_H_
