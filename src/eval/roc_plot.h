// Draws ROC curves (TAR against log-scale FAR) to a PNG.
#ifndef FACET_SRC_EVAL_ROC_PLOT_H_
#define FACET_SRC_EVAL_ROC_PLOT_H_

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "eval/verification.h"
#include "facet/status.h"

namespace facet::eval {

struct NamedCurve {
  std::string name;
  std::vector<RocPoint> points;
};

// Writes a drawn plot as an image file (the format from `path`'s extension); kInvalidArgument
// naming the path when it cannot be written.
Status WritePlotPng(const cv::Mat& canvas, const std::string& path);

Status WriteRocPlot(const std::vector<NamedCurve>& curves, const std::string& path);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_ROC_PLOT_H_
