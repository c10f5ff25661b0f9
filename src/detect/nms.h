// Non-maximum suppression: the one implementation facet uses.
#ifndef FACET_SRC_DETECT_NMS_H_
#define FACET_SRC_DETECT_NMS_H_

#include <vector>

#include "detect/detection.h"

namespace facet::detect {

enum class NmsMethod {
  kHard,      // keep the best box of each overlapping group, drop the others
  kWeighted,  // MediaPipe "weighted": replace the group by the score-weighted mean of its
              // boxes and keypoints, keeping the best score (steadier boxes)
};

struct NmsOptions {
  NmsMethod method = NmsMethod::kWeighted;
  float iou_threshold = 0.3f;  // boxes overlapping the group leader by more than this join it
};

// Returns the suppressed set, best score first. Pure function; thread-safe.
std::vector<Detection> SuppressOverlaps(std::vector<Detection> detections, const NmsOptions& options);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_NMS_H_
