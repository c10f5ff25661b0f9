#include "eval/wider.h"

#include <algorithm>
#include <sstream>

namespace facet::eval {
namespace {

constexpr int kThresholds = 1000;
constexpr double kIouThreshold = 0.5;

double OfficialIou(const Box& a, const Box& b) {
  // evaluation.py's bbox_overlaps on [x1, y1, x2 = x + w, y2 = y + h] with +1 areas.
  const double ax2 = a.x + a.width, ay2 = a.y + a.height, bx2 = b.x + b.width, by2 = b.y + b.height;
  const double iw = std::min(ax2, bx2) - std::max<double>(a.x, b.x) + 1;
  const double ih = std::min(ay2, by2) - std::max<double>(a.y, b.y) + 1;
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  const double area_a = (a.width + 1.0) * (a.height + 1.0), area_b = (b.width + 1.0) * (b.height + 1.0);
  return inter / (area_a + area_b - inter);
}

}  // namespace

Result<std::vector<WiderImage>> ParseWider(const std::string& gt_text,
                                           const std::array<std::string, 3>& keep_texts) {
  std::vector<WiderImage> images;
  std::map<std::string, size_t> index;
  std::istringstream in(gt_text);
  std::string line;
  int line_number = 0;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument("WIDER ground truth line " + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    WiderImage image;
    image.path = line.substr(0, line.find_last_not_of(" \t\r") + 1);
    if (!std::getline(in, line)) return error("missing face count");
    ++line_number;
    int count = -1;
    try {
      count = std::stoi(line);
    } catch (...) {
      return error("bad face count");
    }
    if (count < 0 || count > 100000) return error("bad face count");
    const int rows = std::max(count, 1);  // a count of 0 is followed by one dummy row
    for (int r = 0; r < rows; ++r) {
      if (!std::getline(in, line)) return error("missing face rows");
      ++line_number;
      std::istringstream fields(line);
      float x, y, w, h;
      if (!(fields >> x >> y >> w >> h)) return error("expected x y w h ...");
      if (count > 0) image.faces.push_back({x, y, w, h});
    }
    index[image.path] = images.size();
    images.push_back(std::move(image));
  }
  // An empty file would score AP 0 over 0 images as if it were a result.
  if (images.empty()) return Status::InvalidArgument("WIDER ground truth lists no image");
  for (int level = 0; level < 3; ++level) {
    std::istringstream keep(keep_texts[level]);
    line_number = 0;
    while (std::getline(keep, line)) {
      ++line_number;
      std::istringstream fields(line);
      std::string path;
      if (!(fields >> path) || path[0] == '#') continue;
      const auto it = index.find(path);
      if (it == index.end()) {
        return Status::InvalidArgument("keep list " + std::to_string(level) + " line " +
                                       std::to_string(line_number) + ": unknown image " + path);
      }
      WiderImage& image = images[it->second];
      for (int one_based; fields >> one_based;) {
        if (one_based < 1 || one_based > static_cast<int>(image.faces.size())) {
          return Status::InvalidArgument("keep list: face index out of range for " + path);
        }
        image.keep[level].push_back(one_based - 1);
      }
    }
  }
  return images;
}

double WiderAveragePrecision(const std::vector<WiderImage>& images,
                             const std::vector<std::vector<ScoredBox>>& detections, WiderLevel level) {
  float min_score = 1e30f, max_score = -1e30f;
  for (const auto& dets : detections) {
    for (const ScoredBox& d : dets) {
      min_score = std::min(min_score, d.score);
      max_score = std::max(max_score, d.score);
    }
  }
  const float range = max_score - min_score;
  std::vector<double> proposals(kThresholds, 0), recalled(kThresholds, 0);
  double count_face = 0;
  for (size_t i = 0; i < images.size() && i < detections.size(); ++i) {
    const WiderImage& image = images[i];
    count_face += static_cast<double>(image.keep[level].size());
    if (image.faces.empty() || detections[i].empty()) continue;
    std::vector<ScoredBox> preds = detections[i];
    for (ScoredBox& p : preds) p.score = range > 0 ? (p.score - min_score) / range : 1.0f;
    std::stable_sort(preds.begin(), preds.end(),
                     [](const ScoredBox& a, const ScoredBox& b) { return a.score > b.score; });
    std::vector<int> kept(image.faces.size(), 0);
    for (int k : image.keep[level]) kept[k] = 1;
    // image_eval: recall_list per face (0 unseen, 1 recalled, -1 ignored), proposal_list per pred.
    std::vector<int> recall_list(image.faces.size(), 0);
    std::vector<int> proposal_list(preds.size(), 1);
    std::vector<int> pred_recall(preds.size(), 0);
    int recalled_so_far = 0;
    for (size_t h = 0; h < preds.size(); ++h) {
      double best = -1;
      size_t best_face = 0;
      for (size_t g = 0; g < image.faces.size(); ++g) {
        const double iou = OfficialIou(preds[h].box, image.faces[g]);
        if (iou > best) {
          best = iou;
          best_face = g;
        }
      }
      if (best >= kIouThreshold) {
        if (kept[best_face] == 0) {
          if (recall_list[best_face] == 1) --recalled_so_far;
          recall_list[best_face] = -1;
          proposal_list[h] = -1;
        } else if (recall_list[best_face] == 0) {
          recall_list[best_face] = 1;
          ++recalled_so_far;
        }
      }
      pred_recall[h] = recalled_so_far;
    }
    // img_pr_info: for each threshold, the detections scoring at least it (a prefix, as they
    // are sorted), how many of them are not ignored, and how many faces they recalled.
    std::vector<int> proposed_prefix(preds.size() + 1, 0);
    for (size_t h = 0; h < preds.size(); ++h) {
      proposed_prefix[h + 1] = proposed_prefix[h] + (proposal_list[h] == 1 ? 1 : 0);
    }
    size_t above = 0;
    for (int t = 0; t < kThresholds; ++t) {
      const double threshold = 1.0 - static_cast<double>(t + 1) / kThresholds;
      while (above < preds.size() && preds[above].score >= threshold) ++above;
      if (above == 0) continue;
      proposals[t] += proposed_prefix[above];
      recalled[t] += pred_recall[above - 1];
    }
  }
  if (count_face == 0) return 0;
  // dataset_pr_info + voc_ap.
  std::vector<double> recall(kThresholds), precision(kThresholds);
  for (int t = 0; t < kThresholds; ++t) {
    precision[t] = proposals[t] > 0 ? recalled[t] / proposals[t] : 0.0;
    recall[t] = recalled[t] / count_face;
  }
  std::vector<double> mrec = {0.0}, mpre = {0.0};
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mrec.push_back(1.0);
  mpre.push_back(0.0);
  for (size_t i = mpre.size() - 1; i > 0; --i) mpre[i - 1] = std::max(mpre[i - 1], mpre[i]);
  double ap = 0;
  for (size_t i = 0; i + 1 < mrec.size(); ++i) {
    if (mrec[i + 1] != mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
  }
  return ap;
}

}  // namespace facet::eval
