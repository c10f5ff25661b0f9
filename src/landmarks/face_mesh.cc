#include "landmarks/face_mesh.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.h"

namespace facet::landmarks {

Result<std::unique_ptr<FaceMesh>> FaceMesh::Create(const nn::ModelFile& model,
                                                   const FaceMeshOptions& options) {
  if (!(options.crop_scale > 0)) return Status::InvalidArgument("crop_scale must be positive");
  if (options.refine_passes < 0) return Status::InvalidArgument("refine_passes must be >= 0");
  if (!(options.converged >= 0)) return Status::InvalidArgument("converged must be >= 0");
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  const auto& names = network.value()->output_names();
  if (std::find(names.begin(), names.end(), "landmarks") == names.end() ||
      std::find(names.begin(), names.end(), "face_flag") == names.end()) {
    return Status::InvalidArgument("face mesh model: outputs 'landmarks' and 'face_flag' expected");
  }
  return std::unique_ptr<FaceMesh>(new FaceMesh(std::move(network).value(), options));
}

FaceCrop FaceMesh::CropFor(const std::array<Point, 5>& five) const {
  return UprightCrop(five, options_.crop_scale, options_.crop_shift_down);
}

FaceCrop FaceMesh::CropAround(const FaceMeshResult& mesh) {
  const auto& right = mesh.points[33];
  const auto& left = mesh.points[263];
  FaceCrop crop;
  crop.angle_radians = std::atan2(left[1] - right[1], left[0] - right[0]);
  const double c = std::cos(crop.angle_radians), s = std::sin(crop.angle_radians);
  double u0 = 1e300, u1 = -1e300, v0 = 1e300, v1 = -1e300;
  for (const auto& p : mesh.points) {
    const double u = c * p[0] + s * p[1], v = -s * p[0] + c * p[1];
    u0 = std::min(u0, u);
    u1 = std::max(u1, u);
    v0 = std::min(v0, v);
    v1 = std::max(v1, v);
  }
  const double uc = (u0 + u1) / 2, vc = (v0 + v1) / 2;
  crop.centre = {static_cast<float>(c * uc - s * vc), static_cast<float>(s * uc + c * vc)};
  crop.side = static_cast<float>(std::max(1.0, 1.5 * std::max(u1 - u0, v1 - v0)));
  return crop;
}

Status FaceMesh::Run(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
                     std::vector<FaceMeshResult>* results) {
  FACET_RETURN_IF_ERROR(RunOnce(image_bgr, crops, results));
  previous_ = crops;
  for (int pass = 0; pass < options_.refine_passes; ++pass) {
    refined_.clear();
    bool moved = false;
    for (size_t i = 0; i < results->size(); ++i) {
      refined_.push_back(CropAround((*results)[i]));
      const FaceCrop& a = refined_.back();
      const FaceCrop& b = previous_[i];
      moved = moved ||
              std::hypot(a.centre.x - b.centre.x, a.centre.y - b.centre.y) >
                  options_.converged * b.side ||
              std::abs(a.side - b.side) > options_.converged * b.side;
    }
    if (!moved) break;  // the tracking crop has settled
    FACET_RETURN_IF_ERROR(RunOnce(image_bgr, refined_, results));
    previous_ = refined_;
  }
  return Status::Ok();
}

Status FaceMesh::RunOnce(const cv::Mat& image_bgr, const std::vector<FaceCrop>& crops,
                         std::vector<FaceMeshResult>* results) {
  results->clear();
  if (crops.empty()) return Status::Ok();
  FACET_RETURN_IF_ERROR(WarpCrops(image_bgr, crops, kInputSize, &transforms_, &crops_));
  // MediaPipe's face_landmark graph: RGB in [0, 1].
  cv::dnn::blobFromImages(crops_, blob_, 1.0 / 255.0, cv::Size(), cv::Scalar(), /*swapRB=*/true,
                          /*crop=*/false, CV_32F);
  FACET_RETURN_IF_ERROR(network_->Forward(blob_, &outputs_));
  const auto& names = network_->output_names();
  const auto index = [&](const char* name) {
    return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  const cv::Mat& points = outputs_.at(index("landmarks"));
  const cv::Mat& flags = outputs_.at(index("face_flag"));
  if (points.total() != crops.size() * 3 * kPointCount || flags.total() != crops.size()) {
    return Status::Internal("face mesh network: output of unexpected shape");
  }
  results->resize(crops.size());
  for (size_t i = 0; i < crops.size(); ++i) {
    cv::Matx23d inverse;
    cv::invertAffineTransform(transforms_[i], inverse);
    // Depth is in input pixels like x and y: back to image pixels by the crop's scale.
    const double depth_scale = crops[i].side / static_cast<double>(kInputSize);
    const float* p = points.ptr<float>() + i * 3 * kPointCount;
    FaceMeshResult& r = (*results)[i];
    for (int k = 0; k < kPointCount; ++k) {
      // Outputs are in input pixels, 0 at the left edge of the first pixel.
      const double u = p[3 * k] - 0.5, v = p[3 * k + 1] - 0.5;
      r.points[k] = {static_cast<float>(inverse(0, 0) * u + inverse(0, 1) * v + inverse(0, 2)),
                     static_cast<float>(inverse(1, 0) * u + inverse(1, 1) * v + inverse(1, 2)),
                     static_cast<float>(p[3 * k + 2] * depth_scale)};
    }
    r.face_score = static_cast<float>(1 / (1 + std::exp(-flags.ptr<float>()[i])));
  }
  return Status::Ok();
}

}  // namespace facet::landmarks
