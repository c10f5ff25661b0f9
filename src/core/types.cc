#include "facet/types.h"

namespace facet {

const char* QualityLevelName(QualityLevel level) {
  switch (level) {
    case QualityLevel::kLow: return "low";
    case QualityLevel::kMedium: return "medium";
    case QualityLevel::kHigh: return "high";
  }
  return "low";
}

const char* PoseMethodName(PoseMethod method) {
  switch (method) {
    case PoseMethod::kNone: return "none";
    case PoseMethod::kMesh: return "mesh";
    case PoseMethod::kFivePoints: return "five_points";
  }
  return "none";
}

}  // namespace facet
