#include "service/face_attributes.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numbers>
#include <vector>

namespace facet::service {
namespace {

struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1)
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

PixelRect ClipToImage(const Image& image, const Box& box) {
  PixelRect r;
  auto clamp = [](double v, int hi) {
    return static_cast<int>(std::clamp(v, 0.0, static_cast<double>(hi)));
  };
  r.x0 = clamp(std::floor(box.x), image.width());
  r.y0 = clamp(std::floor(box.y), image.height());
  r.x1 = clamp(std::ceil(static_cast<double>(box.x) + box.width), image.width());
  r.y1 = clamp(std::ceil(static_cast<double>(box.y) + box.height), image.height());
  if (r.x1 < r.x0) r.x1 = r.x0;
  if (r.y1 < r.y0) r.y1 = r.y0;
  return r;
}

// BT.601 luma of the BGR pixel at (x, y).
double Luma(const Image& image, int x, int y) {
  const uint8_t* p = image.data() + 3 * (static_cast<size_t>(y) * image.width() + x);
  return 0.114 * p[0] + 0.587 * p[1] + 0.299 * p[2];
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

}  // namespace

LevelledValue BlurFromSharpness(float sharpness) {
  constexpr double kHighSharpness = 60;  // docs/quality.md: qualityForRecognition high
  const double s = std::max(static_cast<double>(sharpness), 1e-3);
  const double value = Clamp01(0.25 + 0.5 * std::log(kHighSharpness / s) / std::log(4.0));
  return {value < 0.25 ? "low" : value < 0.75 ? "medium" : "high", value};
}

LevelledValue FaceExposure(const Image& image, const Box& box) {
  const PixelRect r = ClipToImage(image, box);
  double sum = 0;
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) sum += Luma(image, x, y);
  }
  const double pixels = static_cast<double>(r.width()) * r.height();
  const double value = pixels > 0 ? Clamp01(sum / pixels / 255.0) : 0.0;
  return {value < 0.25 ? "underExposure" : value < 0.75 ? "goodExposure" : "overExposure", value};
}

LevelledValue FaceNoise(const Image& image, const Box& box) {
  const PixelRect r = ClipToImage(image, box);
  if (r.width() < 3 || r.height() < 3) return {"low", 0.0};
  const int w = r.width();
  std::vector<double> grey(static_cast<size_t>(w) * r.height());
  for (int y = r.y0; y < r.y1; ++y) {
    for (int x = r.x0; x < r.x1; ++x) {
      grey[static_cast<size_t>(y - r.y0) * w + (x - r.x0)] = Luma(image, x, y);
    }
  }
  auto at = [&](int x, int y) { return grey[static_cast<size_t>(y) * w + x]; };
  // J. Immerkaer, "Fast Noise Variance Estimation", CVIU 64(2), 1996: the mask
  // [1 -2 1; -2 4 -2; 1 -2 1] cancels image structure to first order; the mean absolute response
  // times sqrt(pi/2)/6 estimates sigma.
  double sum = 0;
  for (int y = 1; y + 1 < r.height(); ++y) {
    for (int x = 1; x + 1 < w; ++x) {
      const double response = at(x - 1, y - 1) - 2 * at(x, y - 1) + at(x + 1, y - 1) -
                              2 * at(x - 1, y) + 4 * at(x, y) - 2 * at(x + 1, y) +
                              at(x - 1, y + 1) - 2 * at(x, y + 1) + at(x + 1, y + 1);
      sum += std::abs(response);
    }
  }
  const double inner = static_cast<double>(w - 2) * (r.height() - 2);
  const double sigma = std::sqrt(std::numbers::pi / 2) * sum / (6.0 * inner);
  const double value = Clamp01(sigma / 20.0);
  return {value < 0.3 ? "low" : value < 0.7 ? "medium" : "high", value};
}

}  // namespace facet::service
