#include "image/convert.h"

#include <opencv2/imgproc.hpp>

namespace facet {

Image::Image(int width, int height, std::vector<uint8_t> bgr)
    : width_(width), height_(height), pixels_(std::move(bgr)) {
  if (width_ <= 0 || height_ <= 0 ||
      pixels_.size() != static_cast<size_t>(width_) * static_cast<size_t>(height_) * 3) {
    width_ = height_ = 0;
    pixels_.clear();
  }
}

namespace image {

cv::Mat AsMat(const Image& image) {
  if (image.empty()) return {};
  return {image.height(), image.width(), CV_8UC3, const_cast<uint8_t*>(image.data())};
}

cv::Mat AsMutableMat(Image& image) {
  if (image.empty()) return {};
  return {image.height(), image.width(), CV_8UC3, image.mutable_data()};
}

cv::Rect ShrinkByInteger(const cv::Mat& src, int factor, cv::Mat* out) {
  if (factor < 2 || src.cols < factor || src.rows < factor) return {};
  const cv::Rect used(0, 0, src.cols / factor * factor, src.rows / factor * factor);
  cv::resize(src(used), *out, cv::Size(used.width / factor, used.height / factor), 0, 0,
             cv::INTER_AREA);
  return used;
}

Image ImageFromMat(const cv::Mat& mat) {
  if (mat.empty()) return {};
  cv::Mat eight = mat;
  if (mat.depth() == CV_16U) {
    mat.convertTo(eight, CV_8U, 1.0 / 257.0);
  } else if (mat.depth() != CV_8U) {
    mat.convertTo(eight, CV_8U);
  }
  cv::Mat bgr;
  switch (eight.channels()) {
    case 1:
      cv::cvtColor(eight, bgr, cv::COLOR_GRAY2BGR);
      break;
    case 3:
      bgr = eight;
      break;
    case 4: {
      // Composite over white: out = a * c + (1 - a) * 255.
      cv::Mat float_bgra;
      eight.convertTo(float_bgra, CV_32F, 1.0 / 255.0);
      std::vector<cv::Mat> ch;
      cv::split(float_bgra, ch);
      std::vector<cv::Mat> out(3);
      for (int c = 0; c < 3; ++c) out[c] = ch[c].mul(ch[3]) + (1.0 - ch[3]);
      cv::Mat merged;
      cv::merge(out, merged);
      merged.convertTo(bgr, CV_8U, 255.0);
      break;
    }
    default:
      return {};
  }
  std::vector<uint8_t> pixels(static_cast<size_t>(bgr.rows) * bgr.cols * 3);
  cv::Mat dst(bgr.rows, bgr.cols, CV_8UC3, pixels.data());
  bgr.copyTo(dst);
  return Image(bgr.cols, bgr.rows, std::move(pixels));
}

}  // namespace image
}  // namespace facet
