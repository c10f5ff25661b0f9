#include "eval/redaction.h"

namespace facet::eval {

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
    bool has_face = false;
    for (const Box& face : faces) {
      const float cx = face.x + face.width / 2, cy = face.y + face.height / 2;
      if (cx >= region.x && cx <= region.x + region.width && cy >= region.y &&
          cy <= region.y + region.height) {
        has_face = true;
        break;
      }
    }
    if (!has_face) ++regions_without_face;
  }
}

}  // namespace facet::eval
