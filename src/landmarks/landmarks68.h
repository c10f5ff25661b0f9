// 68-point landmarks (the iBUG 300-W scheme: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
// mouth 48-67) from face-api's FaceLandmark68Net, run on a square crop around each face, turned
// upright by the eye line of its 5 landmarks.
//
// Thread-safety: owns a network and scratch buffers; one per Session.
#ifndef FACET_SRC_LANDMARKS_LANDMARKS68_H_
#define FACET_SRC_LANDMARKS_LANDMARKS68_H_

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "facet/types.h"
#include "nn/network.h"

namespace facet::landmarks {

using Points68 = std::array<Point, 68>;

// Where a face is cropped for the network: a square of side `side` pixels centred at `centre`,
// turned by `angle_radians` (the eye line's angle) so the face is upright in the crop.
struct FaceCrop {
  Point centre;
  float side = 0;
  float angle_radians = 0;
};

// A crop turned upright by the eye line of the 5 landmarks (facet's order; by the line from the
// eyes to the mouth where the eye line is more than 45 degrees off square with it, as on a
// profile whose two eye points swapped): side `scale` times
// the face's height from the eye line to the mouth line (or the eye distance / 0.87, its frontal
// ratio, when larger: a face seen from above or below), centred halfway between eyes and mouth
// and moved down by `shift_down` of that height.
FaceCrop UprightCrop(const std::array<Point, 5>& five, float scale, float shift_down);

// Image -> crop of `size` pixels: rotate by -angle about `crop.centre`, scale, centre.
cv::Matx23d CropTransform(const FaceCrop& crop, int size);

// Warps each crop of `image_bgr` to `size` x `size` pixels into `warped` (resized to match), with
// its CropTransform in `transforms`. kInvalidArgument for an empty crop.
Status WarpCrops(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops, int size,
                 std::vector<cv::Matx23d>* transforms, std::vector<cv::Mat>* warped);

struct Landmarks68Options {
  // The crop is placed by the 5 landmarks, not the detector's box (boxes differ between detectors
  // and with hair): its side is `crop_scale` times the face's height from the eye line to the
  // mouth line (or the eye distance / 0.87, its frontal ratio, when larger: a face seen from above
  // or below), its centre halfway between eyes and mouth, moved down by `crop_shift_down` of that
  // height. Chosen on dlib's training photos (docs/quality.md).
  float crop_scale = 2.6f;
  float crop_shift_down = 0.3f;
};

class Landmarks68 {
 public:
  static constexpr int kInputSize = 112;
  static constexpr int kPointCount = 68;

  static Result<std::unique_ptr<Landmarks68>> Create(const nn::ModelFile& model,
                                                     const Landmarks68Options& options = {});

  // The crop for a face with 5 landmarks `five` (facet's order).
  FaceCrop CropFor(const std::array<Point, 5>& five) const;

  // Places the 68 points of each face (one crop per face) in one batch; `results` gets one entry
  // per crop, in image coordinates.
  Status Run(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
             std::vector<Points68>* results);

 private:
  Landmarks68(std::unique_ptr<nn::Network> network, const Landmarks68Options& options)
      : network_(std::move(network)), options_(options) {}

  std::unique_ptr<nn::Network> network_;
  Landmarks68Options options_;
  std::vector<cv::Mat> crops_;
  std::vector<cv::Matx23d> transforms_;
  cv::Mat blob_;
  std::vector<cv::Mat> outputs_;
};

}  // namespace facet::landmarks

#endif  // FACET_SRC_LANDMARKS_LANDMARKS68_H_
