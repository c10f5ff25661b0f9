#include "eval/redaction.h"

#include <algorithm>

namespace facet::eval {

bool CentreInside(const Box& box, const Box& outer) {
  const float cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  return cx >= outer.x && cx <= outer.x + outer.width && cy >= outer.y &&
         cy <= outer.y + outer.height;
}

void RedactionRecall::AddImage(const std::vector<Box>& faces, const std::vector<float>& coverage,
                               const std::vector<Box>& drawn) {
  for (size_t i = 0; i < faces.size(); ++i) {
    const bool redacted = i < coverage.size() && coverage[i] >= kRedactedCoverage;
    auto add = [&](RedactionTally& tally) {
      ++tally.faces;
      if (redacted) ++tally.redacted;
    };
    add(all);
    if (faces[i].height >= 16) add(at_least_16px);
    size_t bin = 0;
    while (bin + 1 < kHeightBinStarts.size() && faces[i].height >= kHeightBinStarts[bin + 1]) ++bin;
    add(by_height[bin]);
  }
  for (const Box& region : drawn) {
    ++regions;
    const bool has_face = std::any_of(faces.begin(), faces.end(),
                                      [&](const Box& face) { return CentreInside(face, region); });
    if (!has_face) ++regions_without_face;
  }
}

}  // namespace facet::eval
