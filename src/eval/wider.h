// WIDER FACE: ground truth parsing and average precision as the official evaluation computes it.
#ifndef FACET_SRC_EVAL_WIDER_H_
#define FACET_SRC_EVAL_WIDER_H_

#include <array>
#include <map>
#include <string>
#include <vector>

#include "facet/status.h"
#include "facet/types.h"

namespace facet::eval {

struct WiderImage {
  std::string path;                 // relative, e.g. "0--Parade/0_Parade_marchingband_1_476.jpg"
  std::vector<Box> faces;           // every annotated face
  std::array<std::vector<int>, 3> keep;  // easy, medium, hard: 0-based indices of faces that count
};

enum WiderLevel { kEasy = 0, kMedium = 1, kHard = 2 };

// Parses wider_face_val_bbx_gt.txt and the three *_keep.txt files (1-based indices per image).
Result<std::vector<WiderImage>> ParseWider(const std::string& gt_text,
                                           const std::array<std::string, 3>& keep_texts);

struct ScoredBox {
  Box box;
  float score = 0;
};

// Average precision at one level, as in the official evaluation (eval_tools / evaluation.py):
// scores are normalised by the minimum and maximum over all images; per image, detections in
// score order are matched to the ground-truth face of highest IoU (>= 0.5, areas with the +1
// pixel convention); a match to a face not kept at this level marks the detection as ignored
// (neither true nor false positive); 1000 score thresholds give a PR curve; AP is the area under
// its monotone (VOC) envelope. `detections` is indexed like `images`.
double WiderAveragePrecision(const std::vector<WiderImage>& images,
                             const std::vector<std::vector<ScoredBox>>& detections, WiderLevel level);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_WIDER_H_
