#include "eval/pairs.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace facet::eval {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

bool ParseInt(const std::string& s, int* value) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *value = std::stoi(s);
  return true;
}

std::string LfwPath(const std::string& name, int index) {
  char number[16];
  std::snprintf(number, sizeof(number), "%04d", index);
  return name + "/" + name + "_" + number + ".jpg";
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(path + ": no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<std::vector<LabeledPair>> ParseLfwPairs(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument("pairs.txt line " + std::to_string(line_number) + ": " + what);
  };
  int folds = 0, per_fold = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const auto fields = Split(line);
    if (fields.empty()) continue;
    if (fields.size() != 2 || !ParseInt(fields[0], &folds) || !ParseInt(fields[1], &per_fold) ||
        folds <= 0 || per_fold <= 0) {
      return error("expected \"FOLDS PAIRS_PER_CLASS\"");
    }
    break;
  }
  if (folds == 0) return Status::InvalidArgument("pairs.txt is empty");
  std::vector<LabeledPair> pairs;
  for (int fold = 0; fold < folds; ++fold) {
    for (int k = 0; k < 2 * per_fold; ++k) {
      if (!std::getline(in, line)) {
        return Status::InvalidArgument("pairs.txt ends early: expected " +
                                       std::to_string(int64_t{folds} * 2 * per_fold) +
                                       " pairs, found " + std::to_string(pairs.size()));
      }
      ++line_number;
      const auto f = Split(line);
      const bool same = k < per_fold;
      int i = 0, j = 0;
      if (same) {
        if (f.size() != 3 || !ParseInt(f[1], &i) || !ParseInt(f[2], &j)) {
          return error("expected \"NAME I J\" (a matched pair)");
        }
        pairs.push_back({LfwPath(f[0], i), LfwPath(f[0], j), true, fold});
      } else {
        if (f.size() != 4 || !ParseInt(f[1], &i) || !ParseInt(f[3], &j)) {
          return error("expected \"NAME1 I NAME2 J\" (a mismatched pair)");
        }
        pairs.push_back({LfwPath(f[0], i), LfwPath(f[2], j), false, fold});
      }
    }
  }
  return pairs;
}

Result<std::vector<LabeledPair>> ParsePairList(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  std::vector<LabeledPair> pairs;
  while (std::getline(in, line)) {
    ++line_number;
    const auto f = Split(line);
    if (f.empty() || f[0][0] == '#') continue;
    if (f.size() != 3 || (f[0] != "0" && f[0] != "1")) {
      return Status::InvalidArgument("pair list line " + std::to_string(line_number) +
                                     ": expected \"LABEL PATH_A PATH_B\" with LABEL 0 or 1");
    }
    pairs.push_back({f[1], f[2], f[0] == "1", 0});
  }
  if (pairs.empty()) return Status::InvalidArgument("pair list has no pairs");
  return pairs;
}

}  // namespace facet::eval
