#include "image/convert.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <utility>

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

void AreaDownscale(const cv::Mat& src, cv::Size size, cv::Mat* out) {
  if (src.depth() != CV_8U || size.width < 1 || size.height < 1 || size.width > src.cols ||
      size.height > src.rows) {
    cv::resize(src, *out, size, 0, 0, cv::INTER_AREA);
    return;
  }
  const int channels = src.channels();
  const int values = src.cols * channels;
  // Output cell (x, y) covers source [x * scale_x, (x + 1) * scale_x) and likewise in y; both
  // scales are >= 1, so a cell holds at least one whole source row's worth of height.
  const double scale_x = static_cast<double>(src.cols) / size.width;
  const double scale_y = static_cast<double>(src.rows) / size.height;
  const auto mean_factor = static_cast<float>(1 / (scale_x * scale_y));
  cv::Mat result(size, CV_MAKETYPE(CV_8U, channels));
  cv::Mat column_sums;  // 1 x cols, float: the cell row's source rows summed
  std::vector<float> cell(static_cast<size_t>(channels));
  for (int y = 0; y < size.height; ++y) {
    const double top = y * scale_y;
    const double bottom = std::min<double>(src.rows, (y + 1) * scale_y);
    const int whole_begin = static_cast<int>(std::ceil(top));
    const int whole_end = static_cast<int>(std::floor(bottom));
    if (whole_end > whole_begin) {
      cv::reduce(src.rowRange(whole_begin, whole_end), column_sums, 0, cv::REDUCE_SUM, CV_32F);
    } else {
      column_sums = cv::Mat::zeros(1, src.cols, CV_MAKETYPE(CV_32F, channels));
    }
    float* sums = column_sums.ptr<float>(0);
    const auto add_cut_row = [&](int row, double weight) {
      const uint8_t* pixels = src.ptr<uint8_t>(row);
      const auto w = static_cast<float>(weight);
      for (int j = 0; j < values; ++j) sums[j] += w * static_cast<float>(pixels[j]);
    };
    if (whole_begin > top) add_cut_row(whole_begin - 1, whole_begin - top);
    if (whole_end < bottom) add_cut_row(whole_end, bottom - whole_end);
    auto* row_out = result.ptr<uint8_t>(y);
    for (int x = 0; x < size.width; ++x) {
      const double left = x * scale_x;
      const double right = std::min<double>(src.cols, (x + 1) * scale_x);
      std::fill(cell.begin(), cell.end(), 0.0f);
      for (int column = static_cast<int>(left); column < right; ++column) {
        const auto w = static_cast<float>(std::min<double>(column + 1, right) -
                                          std::max<double>(column, left));
        for (int c = 0; c < channels; ++c) cell[c] += w * sums[column * channels + c];
      }
      for (int c = 0; c < channels; ++c) {
        row_out[x * channels + c] = cv::saturate_cast<uint8_t>(cell[c] * mean_factor);
      }
    }
  }
  *out = std::move(result);
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
