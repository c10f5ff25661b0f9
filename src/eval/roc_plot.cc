#include "eval/roc_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facet::eval {

Status WritePlotPng(const cv::Mat& canvas, const std::string& path) {
  try {
    if (!cv::imwrite(path, canvas)) return Status::InvalidArgument(path + ": cannot write the plot");
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument(path + ": cannot write the plot: " + e.what());
  }
  return Status::Ok();
}

Status WriteRocPlot(const std::vector<NamedCurve>& curves, const std::string& path) {
  constexpr int kWidth = 800, kHeight = 600, kLeft = 80, kRight = 30, kTop = 40, kBottom = 70;
  constexpr double kMinLogFar = -5.0;
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, cv::Scalar::all(255));
  const int plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto to_pixel = [&](double far, double tar) {
    const double lx = std::clamp(std::log10(std::max(far, 1e-12)), kMinLogFar, 0.0);
    return cv::Point(kLeft + static_cast<int>((lx - kMinLogFar) / -kMinLogFar * plot_w),
                     kTop + static_cast<int>((1.0 - tar) * plot_h));
  };
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40);
  for (int e = -5; e <= 0; ++e) {
    const cv::Point p = to_pixel(std::pow(10.0, e), 0);
    cv::line(canvas, {p.x, kTop}, {p.x, kTop + plot_h}, grid);
    char label[16];
    std::snprintf(label, sizeof(label), "1e%d", e);
    cv::putText(canvas, label, {p.x - 15, kTop + plot_h + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink, 1,
                cv::LINE_AA);
  }
  for (int i = 0; i <= 10; ++i) {
    const cv::Point p = to_pixel(1, i / 10.0);
    cv::line(canvas, {kLeft, p.y}, {kLeft + plot_w, p.y}, grid);
    char label[16];
    std::snprintf(label, sizeof(label), "%.1f", i / 10.0);
    cv::putText(canvas, label, {kLeft - 40, p.y + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, {kLeft, kTop}, {kLeft + plot_w, kTop + plot_h}, ink);
  cv::putText(canvas, "false accept rate (log)", {kLeft + plot_w / 2 - 90, kHeight - 20},
              cv::FONT_HERSHEY_SIMPLEX, 0.55, ink, 1, cv::LINE_AA);
  cv::putText(canvas, "true accept rate", {10, kTop - 15}, cv::FONT_HERSHEY_SIMPLEX, 0.55, ink, 1,
              cv::LINE_AA);
  const cv::Scalar colours[] = {{200, 80, 0}, {0, 120, 220}, {0, 160, 0}, {160, 0, 160}};
  for (size_t c = 0; c < curves.size(); ++c) {
    const cv::Scalar colour = colours[c % 4];
    std::vector<cv::Point> points;
    for (const RocPoint& p : curves[c].points) {
      if (p.far > 0) points.push_back(to_pixel(p.far, p.tar));
    }
    if (points.size() > 1) cv::polylines(canvas, points, false, colour, 2, cv::LINE_AA);
    const int y = kTop + plot_h - 20 - static_cast<int>(c) * 22;
    cv::line(canvas, {kLeft + plot_w - 230, y - 5}, {kLeft + plot_w - 200, y - 5}, colour, 2);
    cv::putText(canvas, curves[c].name, {kLeft + plot_w - 192, y}, cv::FONT_HERSHEY_SIMPLEX, 0.5, ink,
                1, cv::LINE_AA);
  }
  return WritePlotPng(canvas, path);
}

}  // namespace facet::eval
