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

// Resamples the square `crop` (integer pixels; it may extend past the image, the outside is
// black) to size x size as MTCNN's reference implementation does: INTER_AREA when shrinking,
// bilinear when enlarging. Only the crop's own pixels are read.
void ExtractSquare(const cv::Mat& image, const cv::Rect& crop, int size, cv::Mat* canvas,
                   cv::Mat* out) {
  const cv::Rect inside = crop & cv::Rect(0, 0, image.cols, image.rows);
  const int interpolation = crop.width > size ? cv::INTER_AREA : cv::INTER_LINEAR;
  if (inside == crop) {
    cv::resize(image(crop), *out, cv::Size(size, size), 0, 0, interpolation);
    return;
  }
  canvas->create(crop.height, crop.width, image.type());
  canvas->setTo(cv::Scalar::all(0));
  if (inside.width > 0 && inside.height > 0) {
    image(inside).copyTo((*canvas)(inside - crop.tl()));
  }
  cv::resize(*canvas, *out, cv::Size(size, size), 0, 0, interpolation);
}

}  // namespace

cv::Rect Onet::CropForBox(const Box& box) {
  const float side = std::max(box.width, box.height) * kCropScale;
  const int side_px = std::max(1, static_cast<int>(std::lround(side)));
  return {static_cast<int>(std::lround(box.x + box.width / 2 - side / 2)),
          static_cast<int>(std::lround(box.y + box.height / 2 - side / 2)), side_px, side_px};
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
    ExtractSquare(image_bgr, CropForBox(boxes[i]), kInputSize, &canvas_, &square);
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
    const cv::Rect crop = CropForBox(boxes[i]);
    const float* p = landmarks->ptr<float>() + i * 10;
    OnetResult& r = (*results)[i];
    for (int k = 0; k < 5; ++k) {
      // Outputs are x1..x5 then y1..y5 as fractions of the crop.
      r.points[k] = {static_cast<float>(crop.x) + p[k] * static_cast<float>(crop.width),
                     static_cast<float>(crop.y) + p[5 + k] * static_cast<float>(crop.height)};
    }
    r.face_probability = probability->ptr<float>()[i * 2 + 1];
  }
  return Status::Ok();
}

}  // namespace facet::landmarks
