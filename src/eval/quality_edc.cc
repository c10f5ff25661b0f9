#include "eval/quality_edc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "eval/roc_plot.h"

namespace facet::eval {

std::vector<EdcPoint> ErrorVersusDiscard(const std::vector<EdcPair>& pairs,
                                         const std::vector<float>& image_quality, double threshold,
                                         const std::vector<double>& fractions) {
  std::vector<int> order(image_quality.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return image_quality[a] < image_quality[b]; });
  std::vector<EdcPoint> points;
  for (const double fraction : fractions) {
    std::vector<bool> discarded(image_quality.size(), false);
    const auto count = static_cast<size_t>(std::floor(fraction * static_cast<double>(order.size())));
    for (size_t i = 0; i < count && i < order.size(); ++i) discarded[order[i]] = true;
    EdcPoint point;
    point.discard_fraction = fraction;
    long long false_matches = 0;
    for (const EdcPair& p : pairs) {
      if (discarded[p.image_a] || discarded[p.image_b]) continue;
      const bool match = !p.failed && p.similarity >= threshold;
      if (p.same) {
        ++point.genuine_pairs;
        if (!match) ++point.false_non_matches;
      } else {
        ++point.impostor_pairs;
        if (match) ++false_matches;
      }
    }
    point.fnmr = point.genuine_pairs > 0
                     ? static_cast<double>(point.false_non_matches) / point.genuine_pairs
                     : 0.0;
    point.fmr = point.impostor_pairs > 0 ? static_cast<double>(false_matches) / point.impostor_pairs
                                         : 0.0;
    points.push_back(point);
  }
  return points;
}

Status WriteEdcPlot(const std::vector<NamedEdc>& curves, const std::string& path) {
  constexpr int kWidth = 800, kHeight = 600, kLeft = 80, kRight = 30, kTop = 40, kBottom = 70;
  double max_x = 0.05, max_y = 0.01;
  for (const NamedEdc& c : curves) {
    for (const EdcPoint& p : c.points) {
      max_x = std::max(max_x, p.discard_fraction);
      max_y = std::max(max_y, p.fnmr);
    }
  }
  max_y = std::ceil(max_y * 100 + 0.5) / 100;  // whole percent above the highest point
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, cv::Scalar::all(255));
  const int plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto to_pixel = [&](double x, double y) {
    return cv::Point(kLeft + static_cast<int>(x / max_x * plot_w),
                     kTop + static_cast<int>((1.0 - y / max_y) * plot_h));
  };
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40);
  for (int i = 0; i <= 10; ++i) {
    const cv::Point px = to_pixel(max_x * i / 10, 0), py = to_pixel(0, max_y * i / 10);
    cv::line(canvas, {px.x, kTop}, {px.x, kTop + plot_h}, grid);
    cv::line(canvas, {kLeft, py.y}, {kLeft + plot_w, py.y}, grid);
    char label[16];
    std::snprintf(label, sizeof(label), "%.0f%%", 100 * max_x * i / 10);
    cv::putText(canvas, label, {px.x - 12, kTop + plot_h + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink,
                1, cv::LINE_AA);
    std::snprintf(label, sizeof(label), "%.1f%%", 100 * max_y * i / 10);
    cv::putText(canvas, label, {kLeft - 55, py.y + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink, 1,
                cv::LINE_AA);
  }
  cv::rectangle(canvas, {kLeft, kTop}, {kLeft + plot_w, kTop + plot_h}, ink);
  cv::putText(canvas, "images discarded, lowest quality first", {kLeft + plot_w / 2 - 170, kHeight - 20},
              cv::FONT_HERSHEY_SIMPLEX, 0.55, ink, 1, cv::LINE_AA);
  cv::putText(canvas, "false non-match rate at the fixed threshold", {10, kTop - 15},
              cv::FONT_HERSHEY_SIMPLEX, 0.55, ink, 1, cv::LINE_AA);
  const cv::Scalar colours[] = {{200, 80, 0}, {0, 120, 220}, {0, 160, 0}, {160, 0, 160}};
  for (size_t c = 0; c < curves.size(); ++c) {
    const cv::Scalar colour = colours[c % 4];
    std::vector<cv::Point> points;
    for (const EdcPoint& p : curves[c].points) points.push_back(to_pixel(p.discard_fraction, p.fnmr));
    if (points.size() > 1) cv::polylines(canvas, points, false, colour, 2, cv::LINE_AA);
    for (const cv::Point& p : points) cv::circle(canvas, p, 4, colour, cv::FILLED, cv::LINE_AA);
    const int y = kTop + 25 + static_cast<int>(c) * 22;
    cv::line(canvas, {kLeft + plot_w - 330, y - 5}, {kLeft + plot_w - 300, y - 5}, colour, 2);
    cv::putText(canvas, curves[c].name, {kLeft + plot_w - 292, y}, cv::FONT_HERSHEY_SIMPLEX, 0.5, ink,
                1, cv::LINE_AA);
  }
  return WritePlotPng(canvas, path);
}

}  // namespace facet::eval
