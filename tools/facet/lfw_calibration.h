// Embedding a set of images once each, and calibrating FMR thresholds over every cross-identity
// pair of them: what `facet eval lfw --calibrate` and `facet models calibrate` share.
#ifndef FACET_TOOLS_FACET_LFW_CALIBRATION_H_
#define FACET_TOOLS_FACET_LFW_CALIBRATION_H_

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "batch.h"
#include "eval/verification.h"
#include "facet/engine.h"

namespace facet::cli {

// Embeds each distinct path once; returns path -> item.
std::map<std::string, BatchItem> EmbedDistinct(const std::shared_ptr<const Engine>& engine,
                                               const std::vector<std::string>& paths,
                                               const BatchOptions& options);

struct FolderCalibration {
  eval::CalibrationResult result;  // points at FMR 1e-3 and 1e-4, in that order
  size_t images = 0;               // images with a template
};

// Calibrates FMR 1e-3 and 1e-4 thresholds over every cross-identity pair of the embedded images
// (identity = the image's folder, LFW's layout).
FolderCalibration CalibrateByFolder(const std::map<std::string, BatchItem>& items);

// {"images", "genuine_pairs", "impostor_pairs", "fmr_1e-3": {"threshold", "fnmr"}, "fmr_1e-4"}.
nlohmann::json CalibrationToJson(const FolderCalibration& calibration);

}  // namespace facet::cli

#endif  // FACET_TOOLS_FACET_LFW_CALIBRATION_H_
