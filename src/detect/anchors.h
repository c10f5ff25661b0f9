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

// How the maps of a RetinaFace-family model are decoded. The defaults are InsightFace's
// RetinaFace as facet ships it (retinaface@0.0.6, tools/convert/retinaface2onnx.py); a registered
// detector's manifest may set each (docs/models.md, "Adding a detector you have").
enum class RetinaFaceScores {
  kTwoClassLogits,         // raw logits; facet takes the two-class softmax (sigmoid(face - bg))
  kTwoClassProbabilities,  // the softmax is in the graph: the face channel is the probability
};
struct RetinaFaceDecoding {
  float anchor_offset = 7.5f;  // anchor centre = stride * cell + this ((16 - 1) / 2: InsightFace)
  // Box: centre = anchor + size * box_variance[0] * (dx, dy); side = size * exp(box_variance[1] *
  // (dw, dh)). InsightFace: 1, 1 (a model trained with variances 0.1, 0.2 reads them here).
  std::array<float, 2> box_variance = {1.0f, 1.0f};
  // Landmark = anchor + (size * landmark_spread[0] + landmark_spread[1]) * delta (the package's
  // own decoding: 0.1818, 1).
  std::array<float, 2> landmark_spread = {0.18181818f, 1.0f};
  RetinaFaceScores scores = RetinaFaceScores::kTwoClassLogits;
  bool landmarks = true;  // the model places 5 landmarks (facet's order)
};

// Most square anchors per cell a level may have.
inline constexpr int kMaxAnchorsPerCell = 4;

// One output level of a RetinaFace-family model, as NHWC maps of height x width cells with
// `anchors` square anchors per cell centred at (stride * x + offset, stride * y + offset) input
// pixels, of sides anchor_sizes[0..anchors).
struct RetinaFaceLevel {
  int stride = 0;
  int anchors = 2;
  std::array<float, kMaxAnchorsPerCell> anchor_sizes{};
  int height = 0, width = 0;
  const float* class_logits = nullptr;  // [h, w, 2A]: background of each anchor, then face of each
  const float* box_deltas = nullptr;    // [h, w, 4A]: dx, dy, dw, dh of anchor 0, then 1...
  const float* landmark_deltas = nullptr;  // [h, w, 10A]: 5 x (dx, dy) per anchor; null: none
};

// The three levels' strides and anchor sides of facet's RetinaFace-MobileNet0.25 (InsightFace's
// RetinaFace: base 16 x scales {32, 16}, {8, 4}, {2, 1}).
inline constexpr std::array<int, 3> kRetinaFaceStrides = {32, 16, 8};
std::array<float, 2> RetinaFaceAnchorSizes(int stride);

// Appends every anchor of `level` whose face probability is at least `score_threshold`, decoded
// into input pixels as `decoding` says (the defaults: centre + size * (dx, dy), size * exp(dw,
// dh); landmarks centre + (size * 0.1818 + 1) * delta). Their landmarks are in facet's order (eye
// on the image's left, right eye, nose, mouth left, mouth right).
void DecodeRetinaFaceLevel(const RetinaFaceLevel& level, const RetinaFaceDecoding& decoding,
                           float score_threshold, std::vector<Detection>* detections);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_ANCHORS_H_
