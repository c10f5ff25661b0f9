// Face detection over a whole image: one BlazeFace pass (fast) or the frame plus overlapping
// tiles (recall), merged by weighted NMS.
//
// Thread-safety: not thread-safe (owns a BlazeFace); one per Session.
#ifndef FACET_SRC_DETECT_FACE_DETECTOR_H_
#define FACET_SRC_DETECT_FACE_DETECTOR_H_

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "detect/blazeface.h"
#include "detect/nms.h"
#include "detect/tiling.h"

namespace facet::detect {

struct FaceDetectorConfig {
  bool use_tiles = false;        // recall mode: scan tiles as well as the whole frame
  TilingOptions tiling;          // used when use_tiles
  // When not empty, scan exactly these regions instead of the frame (and the tiles): each is
  // letterboxed into the detector's input. A region holding the whole image is a frame pass;
  // detections in the others are filtered as tiles are (cut by an interior edge, too large).
  std::vector<cv::Rect> regions;
  float score_threshold = 0.5f;  // detections below are dropped
  NmsOptions nms;
  // When the whole-frame pass finds nothing, scan the frame padded by this share of its size on
  // every side (faces filling or cut by the frame, e.g. profile crops). 0 disables.
  float empty_retry_padding = 0.25f;
};

class FaceDetector {
 public:
  static Result<std::unique_ptr<FaceDetector>> Create(const nn::ModelFile& model);

  // Detects faces in `image_bgr` (CV_8UC3). Returns detections best score first.
  Result<std::vector<Detection>> Detect(const cv::Mat& image_bgr, const FaceDetectorConfig& config);

 private:
  explicit FaceDetector(std::unique_ptr<BlazeFace> blazeface) : blazeface_(std::move(blazeface)) {}

  // Scans `rect` and appends its detections to scratch_; a region that is not the whole image
  // drops faces cut by its interior edges and faces larger than half of it.
  Status ScanRegion(const cv::Mat& image_bgr, const cv::Rect& rect, float score_threshold);

  std::unique_ptr<BlazeFace> blazeface_;
  std::vector<Detection> scratch_;
};

// True when `box` crosses an edge of `tile` that is inside the image by more than `tolerance`
// of the box size (the face is probably cut by the tile and is found whole elsewhere).
bool CutByInteriorTileEdge(const Box& box, const cv::Rect& tile, const cv::Size& image,
                           float tolerance);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_FACE_DETECTOR_H_
