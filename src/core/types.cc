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

}  // namespace facet
