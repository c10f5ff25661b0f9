// Face detection over a whole image with one of two networks, merged by NMS:
//   - RetinaFace-MobileNet0.25 (the default): the frame at its own resolution (capped), plus a
//     coarse pass for faces larger than its largest anchor; recall mode adds a 2x pass for small
//     faces. Gives the 5 alignment landmarks itself.
//   - BlazeFace back 256: one letterboxed pass (fast) or the frame plus overlapping tiles (recall).
//
// Thread-safety: not thread-safe (owns a network); one per Session.
#ifndef FACET_SRC_DETECT_FACE_DETECTOR_H_
#define FACET_SRC_DETECT_FACE_DETECTOR_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "detect/blazeface.h"
#include "detect/nms.h"
#include "detect/retinaface.h"
#include "detect/tiling.h"

namespace facet::detect {

enum class DetectorKind { kRetinaFace, kBlazeFace };

// "retinaface" or "blazeface" (EngineOptions::detector); anything else is kInvalidArgument
// listing the known names.
Result<DetectorKind> ParseDetectorKind(std::string_view name);

// RetinaFace's passes over the whole frame (the scales are measured: docs/benchmarks.md).
struct PyramidOptions {
  // The finest pass scans the image at this scale at most (2: twice the size, finding faces down
  // to ~8 px; 1: its own resolution, ~16 px)...
  float max_scale = 1.0f;
  // ... and with its longer side at most this many input pixels (bounds time and memory on
  // large photos: a 4000 x 3000 photo is scanned at 0.48, faces from ~33 px).
  int max_side = 1920;
  // When the finest pass's longer side exceeds 1.25x this, a coarse pass with the longer side at
  // this size is added: faces larger than the largest anchor (~512 input pixels) are otherwise
  // found only as fragments. 0: no coarse pass.
  int coarse_side = 640;
  // Between the finest and the coarse pass, passes at half the previous scale are added while
  // two neighbours would differ by more than this factor (the anchors, 16 to 512 input pixels,
  // leave room for ~4x). Default 4.
  float pass_ratio = 4.0f;
  // Regions given in FaceDetectorConfig::regions are scanned with their longer side at this many
  // input pixels (at most max_scale).
  int region_side = 640;
};

// An enlarged pass (scale > 1) keeps only faces up to this many input pixels (128 image pixels
// at 2x): larger ones are a coarser pass's, and an enlarged pass's large boxes were mostly false
// (a 250 x 330 box on a curtain at 0.74 in a sample photo).
inline constexpr float kEnlargedPassMaxFace = 256;

// The scales of the whole-frame passes for an image of this size, finest first. Pure function.
std::vector<float> PlanPyramid(int width, int height, const PyramidOptions& options);

struct FaceDetectorConfig {
  bool use_tiles = false;  // BlazeFace recall mode: scan tiles as well as the whole frame
  TilingOptions tiling;    // used when use_tiles
  PyramidOptions pyramid;  // RetinaFace
  // When not empty, scan exactly these regions instead of the frame (and the tiles or pyramid):
  // BlazeFace letterboxes each into its input; RetinaFace scales it to pyramid.region_side. A
  // region holding the whole image is a frame pass; detections in the others are filtered as
  // tiles are (cut by an interior edge, too large).
  std::vector<cv::Rect> regions;
  float score_threshold = 0.5f;  // detections below are dropped
  NmsOptions nms;
  // BlazeFace: when the whole-frame pass finds nothing, scan the frame padded by this share of
  // its size on every side (faces filling or cut by the frame, e.g. profile crops). 0 disables.
  float empty_retry_padding = 0.25f;
  // RetinaFace's pyramid: a detection scoring below this is kept only when a second pass that
  // could see a face its size (PassCanSee) found it too (IoU >= kPassAgreementIou). A weak box
  // seen at one scale alone is mostly texture (a hand, a chandelier). 0 (default): no check.
  float confirm_below_score = 0;
};

// Boxes of two passes that are one face.
inline constexpr float kPassAgreementIou = 0.4f;

// A pass is counted as able to confirm a face from this many input pixels (the smallest anchor is
// 16, and faces down to ~12 are found, but weakly: counting passes from 12 px dropped 2.8 points
// of WIDER dev's faces >= 16 px covered at confirm_below_score 0.3, from 32 px 0.9 on the first
// 100 images; docs/redact.md).
inline constexpr float kConfirmMinInputSide = 32;

// Whether a whole-frame pass at `scale` can confirm a face whose longer side is `face_side` image
// pixels: at least kConfirmMinInputSide input pixels, and for an enlarged pass at most
// kEnlargedPassMaxFace (it keeps no larger face). Pure function.
bool PassCanSee(float scale, float face_side);

// Sets Detection::passes_able / passes_agreeing of each detection in `kept` from `found` (every
// pass's detections before suppression, tagged with Detection::pass).
void CountPassAgreement(const std::vector<Detection>& found, const std::vector<float>& scales,
                        std::vector<Detection>* kept);

// Counts the agreement (CountPassAgreement), then drops the detections in `kept` scoring below
// `confirm_below` that fewer than two of the passes able to see them (PassCanSee at
// `scales[pass]`) found; `found` holds every pass's detections before suppression, tagged with
// Detection::pass. A detection only one pass can see is kept.
void DropUnconfirmed(const std::vector<Detection>& found, const std::vector<float>& scales,
                     float confirm_below, std::vector<Detection>* kept);

// The smallest face (pixels) `kind` reliably finds in a region of this longer side scanned as
// FaceDetectorConfig::regions are (default PyramidOptions): BlazeFace ~1/16 of the side;
// RetinaFace ~12 input pixels at the region's scale.
float SmallestFaceInRegion(DetectorKind kind, float region_side,
                           const PyramidOptions& pyramid = {});

// The scale RetinaFace scans a FaceDetectorConfig::regions region of this longer side at: to
// pyramid.region_side input pixels, at most pyramid.max_scale.
float RegionScale(float region_side, const PyramidOptions& pyramid);

// The NMS RetinaFace is decoded with: hard, IoU 0.3 (InsightFace's 0.4 leaves a face found
// again by the coarse pass at IoU ~0.37 in a sample photo; WIDER AP is the same within .002).
NmsOptions RetinaFaceNms();

class FaceDetector {
 public:
  // `retinaface` describes the model when kind is kRetinaFace (a registered detector's own
  // spec, or facet's).
  static Result<std::unique_ptr<FaceDetector>> Create(
      DetectorKind kind, const nn::ModelFile& model,
      const RetinaFaceSpec& retinaface = BuiltInRetinaFaceSpec());

  DetectorKind kind() const { return kind_; }

  // Detects faces in `image_bgr` (CV_8UC3). Returns detections best score first.
  Result<std::vector<Detection>> Detect(const cv::Mat& image_bgr, const FaceDetectorConfig& config);

 private:
  FaceDetector(DetectorKind kind, std::unique_ptr<BlazeFace> blazeface,
               std::unique_ptr<RetinaFace> retinaface)
      : kind_(kind), blazeface_(std::move(blazeface)), retinaface_(std::move(retinaface)) {}

  // Scans `rect` (at `scale`, RetinaFace) and appends its detections to scratch_; a region that
  // is not the whole image drops faces cut by its interior edges and faces larger than half of it.
  Status ScanRegion(const cv::Mat& image_bgr, const cv::Rect& rect, float scale,
                    float score_threshold);
  // Erases the detections of scratch_ from index `first` on for which `drop` is true.
  template <typename Predicate>
  void DropFrom(size_t first, Predicate drop) {
    scratch_.erase(
        std::remove_if(scratch_.begin() + static_cast<std::ptrdiff_t>(first), scratch_.end(), drop),
        scratch_.end());
  }

  DetectorKind kind_;
  std::unique_ptr<BlazeFace> blazeface_;    // kBlazeFace
  std::unique_ptr<RetinaFace> retinaface_;  // kRetinaFace
  std::vector<Detection> scratch_;
};

// True when `box` crosses an edge of `tile` that is inside the image by more than `tolerance`
// of the box size (the face is probably cut by the tile and is found whole elsewhere).
bool CutByInteriorTileEdge(const Box& box, const cv::Rect& tile, const cv::Size& image,
                           float tolerance);

// Drops detections lying mostly (>= `inside_share` of their area) inside another detection that
// scores higher: a fragment of a large face (an ear, a mouth) that a fine pass finds, or the same
// face found by two passes at shifted boxes, which NMS's IoU misses across scales. (A small face
// inside a larger box scoring lower, e.g. a weak false detection, stays.) Keeps order.
std::vector<Detection> DropFragments(std::vector<Detection> detections, float inside_share);

}  // namespace facet::detect

#endif  // FACET_SRC_DETECT_FACE_DETECTOR_H_
