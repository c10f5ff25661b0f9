#include "landmarks/onet.h"

#include <algorithm>
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace facet::landmarks {
namespace {

// BlazeFace boxes span brows to chin; O-Net was trained on MTCNN's R-Net boxes, which are a
// little larger. Measured on the sample photos and LFW (see docs/pipeline.md).
constexpr float kCropScale = 1.0f;

// Warps the square `crop` of `image` to size x size with one affine map (handles crops that
// extend past the image). When shrinking a lot, only the crop's region is area-averaged first.
void ExtractSquare(const cv::Mat& image, const Box& crop, int size, cv::Mat* out) {
  const double scale = size / static_cast<double>(crop.width);
  const cv::Rect roi = cv::Rect(static_cast<int>(std::floor(crop.x)), static_cast<int>(std::floor(crop.y)),
                                static_cast<int>(std::ceil(crop.width)) + 2,
                                static_cast<int>(std::ceil(crop.height)) + 2) &
                       cv::Rect(0, 0, image.cols, image.rows);
  if (roi.width <= 0 || roi.height <= 0) {
    *out = cv::Mat(size, size, image.type(), cv::Scalar::all(0));
    return;
  }
  cv::Mat source = image(roi);
  double sx = 1.0, sy = 1.0;
  if (scale < 0.5) {
    const double shrink = std::min(1.0, 2.0 * scale);
    cv::Mat small;
    cv::resize(source, small,
               cv::Size(std::max(1, static_cast<int>(std::lround(roi.width * shrink))),
                        std::max(1, static_cast<int>(std::lround(roi.height * shrink)))),
               0, 0, cv::INTER_AREA);
    sx = static_cast<double>(small.cols) / roi.width;
    sy = static_cast<double>(small.rows) / roi.height;
    source = small;
  }
  // Pixel-centre convention: x_source = (x_image - roi.x + 0.5) * sx - 0.5.
  const double crop_x = (crop.x - roi.x + 0.5) * sx - 0.5;
  const double crop_y = (crop.y - roi.y + 0.5) * sy - 0.5;
  const double kx = scale / sx, ky = scale / sy;
  const cv::Matx23d m(kx, 0, -crop_x * kx, 0, ky, -crop_y * ky);
  cv::warpAffine(source, *out, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(0));
}

}  // namespace

Box Onet::CropForBox(const Box& box) {
  const float side = std::max(box.width, box.height) * kCropScale;
  return {box.x + box.width / 2 - side / 2, box.y + box.height / 2 - side / 2, side, side};
}

Result<std::unique_ptr<Onet>> Onet::Create(const nn::ModelFile& model) {
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  return std::unique_ptr<Onet>(new Onet(std::move(network).value()));
}

Status Onet::Run(const cv::Mat& image_bgr, const std::vector<Box>& boxes,
                 std::vector<OnetResult>* results) {
  results->clear();
  if (boxes.empty()) return Status::Ok();
  crops_.resize(boxes.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    cv::Mat square;
    ExtractSquare(image_bgr, CropForBox(boxes[i]), kInputSize, &square);
    // MTCNN nets were trained on transposed images (Matlab's column-major order).
    cv::transpose(square, crops_[i]);
  }
  // NCHW, RGB, (x - 127.5) / 128.
  cv::dnn::blobFromImages(crops_, blob_, 1.0 / 128.0, cv::Size(), cv::Scalar::all(127.5),
                          /*swapRB=*/true, /*crop=*/false, CV_32F);
  FACET_RETURN_IF_ERROR(network_->Forward(blob_, &outputs_));
  const cv::Mat* landmarks = nullptr;
  const cv::Mat* probability = nullptr;
  const size_t n = boxes.size();
  for (const cv::Mat& out : outputs_) {
    if (out.total() == n * 10) landmarks = &out;
    if (out.total() == n * 2) probability = &out;
  }
  if (landmarks == nullptr || probability == nullptr) {
    return Status::Internal("O-Net: outputs of unexpected shape");
  }
  results->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Box crop = CropForBox(boxes[i]);
    const float* p = landmarks->ptr<float>() + i * 10;
    OnetResult& r = (*results)[i];
    for (int k = 0; k < 5; ++k) {
      // Outputs are x1..x5 then y1..y5 as fractions of the crop.
      r.points[k] = {crop.x + p[k] * crop.width, crop.y + p[5 + k] * crop.height};
    }
    r.face_probability = probability->ptr<float>()[i * 2 + 1];
  }
  return Status::Ok();
}

}  // namespace facet::landmarks
