// Anchors and box decoding for BlazeFace (SSD) and RetinaFace: the one place anchors are
// generated and decoded.
#ifndef FACET_SRC_DETECT_ANCHORS_H_
#define FACET_SRC_DETECT_ANCHORS_H_

#include <array>
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

// One output level of RetinaFace-MobileNet0.25 (tools/convert/retinaface2onnx.py): NHWC maps of
// height x width cells, two square anchors per cell centred at (stride * x + 7.5,
// stride * y + 7.5) input pixels, of sides anchor_sizes[0] and [1].
struct RetinaFaceLevel {
  int stride = 0;
  std::array<float, 2> anchor_sizes{};
  int height = 0, width = 0;
  const float* class_logits = nullptr;  // [h, w, 4]: background of anchor 0, 1, face of 0, 1
  const float* box_deltas = nullptr;    // [h, w, 8]: dx, dy, dw, dh of anchor 0, then anchor 1
  const float* landmark_deltas = nullptr;  // [h, w, 20]: 5 x (dx, dy) of anchor 0, then 1
};

// The three levels' strides and anchor sides (InsightFace's RetinaFace: base 16 x scales
// {32, 16}, {8, 4}, {2, 1}).
inline constexpr std::array<int, 3> kRetinaFaceStrides = {32, 16, 8};
std::array<float, 2> RetinaFaceAnchorSizes(int stride);

// Appends every anchor of `level` whose face probability (two-class softmax) is at least
// `score_threshold`, decoded into input pixels: centre + size * (dx, dy), size * exp(dw, dh);
// landmarks centre + (size * 0.1818 + 1) * delta (the package's own decoding). Their landmarks
// are in facet's order (eye on the image's left, right eye, nose, mouth left, mouth right).
void DecodeRetinaFaceLevel(const RetinaFaceLevel& level, float score_threshold,
                           std::vector<Detection>* detections);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_ANCHORS_H_
