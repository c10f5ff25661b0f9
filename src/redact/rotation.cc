#include "redact/rotation.h"

#include <vector>

#include "image/convert.h"

namespace facet::redact {

void RotateUpright(const cv::Mat& coded, int clockwise_degrees, cv::Mat* upright) {
  switch (clockwise_degrees) {
    case 90:
      cv::rotate(coded, *upright, cv::ROTATE_90_CLOCKWISE);
      break;
    case 180:
      cv::rotate(coded, *upright, cv::ROTATE_180);
      break;
    case 270:
      cv::rotate(coded, *upright, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      coded.copyTo(*upright);
      break;
  }
}

Image UprightImage(const Image& coded, int clockwise_degrees) {
  const bool swap = clockwise_degrees % 180 != 0;
  const int width = swap ? coded.height() : coded.width();
  const int height = swap ? coded.width() : coded.height();
  Image upright(width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3));
  cv::Mat upright_view = image::AsMutableMat(upright);
  RotateUpright(image::AsMat(coded), clockwise_degrees, &upright_view);
  return upright;
}

Box UprightToCoded(const Box& b, int clockwise_degrees, int coded_width, int coded_height) {
  const auto w = static_cast<float>(coded_width);
  const auto h = static_cast<float>(coded_height);
  switch (clockwise_degrees) {
    // Upright (u, v) of a 90-degree clockwise turn is coded (v, h - u).
    case 90:
      return {b.y, h - (b.x + b.width), b.height, b.width};
    case 180:
      return {w - (b.x + b.width), h - (b.y + b.height), b.width, b.height};
    // Upright (u, v) of a 270-degree turn is coded (w - v, u).
    case 270:
      return {w - (b.y + b.height), b.x, b.height, b.width};
    default:
      return b;
  }
}

}  // namespace facet::redact
