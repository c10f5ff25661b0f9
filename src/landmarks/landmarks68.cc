#include "landmarks/landmarks68.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.h"

namespace facet::landmarks {
namespace {

// face-api's FaceFeatureExtractor: RGB, (x - mean) / 255.
constexpr double kMeanRgb[3] = {122.782, 117.001, 104.298};
// Eye distance over the eye-to-mouth height of a frontal face (the ArcFace template: 35.2 / 40.7).
constexpr float kFrontalEyeDistanceToHeight = 0.87f;
// How far (radians) the eye line may be off square with the eyes-to-mouth line before the crop is
// turned by the latter (UprightCrop).
constexpr float kMaxEyeLineOffSquare = std::numbers::pi_v<float> / 4;

}  // namespace

cv::Matx23d CropTransform(const FaceCrop& crop, int size) {
  const double scale = size / static_cast<double>(crop.side);
  const double c = std::cos(crop.angle_radians) * scale;
  const double s = std::sin(crop.angle_radians) * scale;
  // [c s; -s c] rotates by -angle; the centre maps to (size/2, size/2) in pixel-centre terms.
  const double half = size / 2.0 - 0.5;
  return {c,  s, half - (c * crop.centre.x + s * crop.centre.y),  //
          -s, c, half - (-s * crop.centre.x + c * crop.centre.y)};
}

Status WarpCrops(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops, int size,
                 std::vector<cv::Matx23d>* transforms, std::vector<cv::Mat>* warped) {
  warped->resize(crops.size());
  transforms->resize(crops.size());
  for (size_t i = 0; i < crops.size(); ++i) {
    if (!(crops[i].side >= 1)) return Status::InvalidArgument("a face crop is empty");
    (*transforms)[i] = CropTransform(crops[i], size);
    align::WarpSimilarity(image_bgr, (*transforms)[i], size, &(*warped)[i]);
  }
  return Status::Ok();
}

FaceCrop UprightCrop(const std::array<Point, 5>& five, float scale, float shift_down) {
  const float dx = five[kRightEye].x - five[kLeftEye].x;
  const float dy = five[kRightEye].y - five[kLeftEye].y;
  FaceCrop crop;
  crop.angle_radians = (dx == 0 && dy == 0) ? 0.0f : std::atan2(dy, dx);
  const Point eyes = {(five[kLeftEye].x + five[kRightEye].x) / 2,
                      (five[kLeftEye].y + five[kRightEye].y) / 2};
  const Point mouth = {(five[kMouthLeft].x + five[kMouthRight].x) / 2,
                       (five[kMouthLeft].y + five[kMouthRight].y) / 2};
  // On a profile the two eye points bunch up and their order is a guess: the eye line may point
  // any way, and a crop turned by it upside down gives an upside-down face mesh. Where the eye
  // line is more than 45 degrees off square with the line from the eyes to the mouth (which stays
  // long on a profile), the crop is turned by the latter.
  if (mouth.x != eyes.x || mouth.y != eyes.y) {
    const float square =
        std::atan2(mouth.y - eyes.y, mouth.x - eyes.x) - std::numbers::pi_v<float> / 2;
    if (std::abs(std::remainder(crop.angle_radians - square, 2 * std::numbers::pi_v<float>)) >
        kMaxEyeLineOffSquare) {
      crop.angle_radians = square;
    }
  }
  // The face's own "down": perpendicular to the eye line.
  const float down_x = -std::sin(crop.angle_radians), down_y = std::cos(crop.angle_radians);
  const float height = std::max((mouth.x - eyes.x) * down_x + (mouth.y - eyes.y) * down_y,
                                std::hypot(dx, dy) / kFrontalEyeDistanceToHeight);
  crop.side = std::max(1.0f, height * scale);
  const float shift = height * shift_down;
  crop.centre = {(eyes.x + mouth.x) / 2 + down_x * shift, (eyes.y + mouth.y) / 2 + down_y * shift};
  return crop;
}

Result<std::unique_ptr<Landmarks68>> Landmarks68::Create(const nn::ModelFile& model,
                                                         const Landmarks68Options& options) {
  if (!(options.crop_scale > 0)) return Status::InvalidArgument("crop_scale must be positive");
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  return std::unique_ptr<Landmarks68>(new Landmarks68(std::move(network).value(), options));
}

FaceCrop Landmarks68::CropFor(const std::array<Point, 5>& five) const {
  return UprightCrop(five, options_.crop_scale, options_.crop_shift_down);
}

Status Landmarks68::Run(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
                        std::vector<Points68>* results) {
  results->clear();
  if (crops.empty()) return Status::Ok();
  FACET_RETURN_IF_ERROR(WarpCrops(image_bgr, crops, kInputSize, &transforms_, &crops_));
  // NCHW RGB; blobFromImages subtracts the mean in the channel order after the swap, then scales.
  cv::dnn::blobFromImages(crops_, blob_, 1.0 / 255.0, cv::Size(),
                          cv::Scalar(kMeanRgb[0], kMeanRgb[1], kMeanRgb[2]), /*swapRB=*/true,
                          /*crop=*/false, CV_32F);
  FACET_RETURN_IF_ERROR(network_->Forward(blob_, &outputs_));
  if (outputs_.size() != 1 || outputs_[0].total() != crops.size() * 2 * kPointCount) {
    return Status::Internal("68-point landmark network: output of unexpected shape");
  }
  results->resize(crops.size());
  for (size_t i = 0; i < crops.size(); ++i) {
    cv::Matx23d inverse;
    cv::invertAffineTransform(transforms_[i], inverse);
    const float* p = outputs_[0].ptr<float>() + i * 2 * kPointCount;
    for (int k = 0; k < kPointCount; ++k) {
      // Outputs are fractions of the input side; pixel centres at (k + 0.5) / size.
      const double u = p[2 * k] * kInputSize - 0.5, v = p[2 * k + 1] * kInputSize - 0.5;
      (*results)[i][k] = {
          static_cast<float>(inverse(0, 0) * u + inverse(0, 1) * v + inverse(0, 2)),
          static_cast<float>(inverse(1, 0) * u + inverse(1, 1) * v + inverse(1, 2))};
    }
  }
  return Status::Ok();
}

}  // namespace facet::landmarks
