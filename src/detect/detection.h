// A raw detector output before landmarks and quality are added.
#ifndef FACET_SRC_DETECT_DETECTION_H_
#define FACET_SRC_DETECT_DETECTION_H_

#include <array>
#include <vector>

#include "facet/types.h"

namespace facet::detect {

// BlazeFace keypoint order (image-left eye first when the face looks at the camera):
// eye on image left, eye on image right, nose tip, mouth centre, ear on image left, ear on image
// right.
inline constexpr int kNumKeypoints = 6;

struct Detection {
  Box box;
  float score = 0;                               // probability 0..1
  std::array<Point, kNumKeypoints> keypoints{};  // BlazeFace only
  // The 5 alignment landmarks when the detector places them (RetinaFace), in facet's order
  // (facet::LandmarkIndex); BlazeFace leaves has_landmarks false (O-Net places them).
  bool has_landmarks = false;
  std::array<Point, 5> landmarks{};
  // Which of the detector's whole-frame passes found it (FaceDetector's recall pyramid, finest
  // first); 0 for a single pass or a scanned region.
  int pass = 0;
  // RetinaFace's pyramid: how many whole-frame passes could see a face this size (PassCanSee) and
  // how many of those found it (IoU >= kPassAgreementIou). 0 / 0 for a single pass or regions.
  int passes_able = 0;
  int passes_agreeing = 0;

  // At least two passes could see a face this size and fewer than two found this one (a weak
  // box seen at one scale alone is often texture). False for a single pass or regions.
  bool SeenAtOneScaleOnly() const { return passes_able >= 2 && passes_agreeing < 2; }
};

// Area of the intersection of two boxes; 0 when they do not overlap.
float IntersectionArea(const Box& a, const Box& b);

// Intersection over union of two boxes; 0 when either is empty.
float IntersectionOverUnion(const Box& a, const Box& b);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_DETECTION_H_
