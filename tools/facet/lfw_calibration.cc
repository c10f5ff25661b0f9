#include "lfw_calibration.h"

#include <algorithm>
#include <filesystem>

#include "cli_common.h"

namespace facet::cli {

std::map<std::string, BatchItem> EmbedDistinct(const std::shared_ptr<const Engine>& engine,
                                               const std::vector<std::string>& paths,
                                               const BatchOptions& options) {
  std::vector<std::string> distinct(paths);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<BatchItem> items = EmbedImages(engine, distinct, options);
  std::map<std::string, BatchItem> by_path;
  for (size_t i = 0; i < distinct.size(); ++i) by_path[distinct[i]] = std::move(items[i]);
  return by_path;
}

FolderCalibration CalibrateByFolder(const std::map<std::string, BatchItem>& items) {
  std::vector<float> rows;
  std::vector<int> labels;
  std::map<std::string, int> identity;
  int dim = 0;
  for (const auto& [path, item] : items) {
    if (!item.embedding) continue;
    const std::string person = std::filesystem::path(path).parent_path().filename().string();
    labels.push_back(identity.emplace(person, static_cast<int>(identity.size())).first->second);
    dim = static_cast<int>(item.embedding->values.size());
    rows.insert(rows.end(), item.embedding->values.begin(), item.embedding->values.end());
  }
  FolderCalibration out;
  out.images = labels.size();
  out.result =
      eval::CalibrateThresholds(rows, static_cast<int>(labels.size()), dim, labels, {1e-3, 1e-4});
  return out;
}

nlohmann::json CalibrationToJson(const FolderCalibration& calibration) {
  nlohmann::json out = {{"images", calibration.images},
                        {"genuine_pairs", calibration.result.genuine_pairs},
                        {"impostor_pairs", calibration.result.impostor_pairs}};
  for (const eval::Calibration& c : calibration.result.points) {
    const std::string key = c.fmr == 1e-3 ? "fmr_1e-3" : "fmr_1e-4";
    out[key] = {{"threshold", Round(c.threshold)}, {"fnmr", Round(c.fnmr)}};
  }
  return out;
}

}  // namespace facet::cli
