// Draws ROC curves (TAR against log-scale FAR) to a PNG.
#ifndef FACET_SRC_EVAL_ROC_PLOT_H_
#define FACET_SRC_EVAL_ROC_PLOT_H_

#include <string>
#include <vector>

#include "eval/verification.h"
#include "facet/status.h"

namespace facet::eval {

struct NamedCurve {
  std::string name;
  std::vector<RocPoint> points;
};

Status WriteRocPlot(const std::vector<NamedCurve>& curves, const std::string& path);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_ROC_PLOT_H_
