// Redaction recall: the share of annotated faces whose box is (almost) entirely covered by the
// redaction, overall, at least 16 px high, and by height; plus how much is redacted that is not
// an annotated face. Pure counting; the coverage of each face is measured by the caller with the
// redaction's own geometry (facet::RedactionCoverage).
#ifndef FACET_SRC_EVAL_REDACTION_H_
#define FACET_SRC_EVAL_REDACTION_H_

#include <array>
#include <cstdint>
#include <vector>

#include "facet/types.h"

namespace facet::eval {

// Whether the centre of `box` lies inside `outer` (edges included): how the evaluations decide
// that a detection is on a given face.
bool CentreInside(const Box& box, const Box& outer);

// A face counts as redacted when at least this share of its box is covered.
inline constexpr float kRedactedCoverage = 0.9f;

struct RedactionTally {
  int64_t faces = 0;
  int64_t redacted = 0;
  double recall() const {
    return faces > 0 ? static_cast<double>(redacted) / static_cast<double>(faces) : 0;
  }
};

// Height bins (pixels): [0, 16), [16, 32), [32, 64), [64, 128), [128, inf).
inline constexpr std::array<float, 5> kHeightBinStarts = {0, 16, 32, 64, 128};

struct RedactionRecall {
  RedactionTally all;
  RedactionTally at_least_16px;
  std::array<RedactionTally, kHeightBinStarts.size()> by_height;
  int64_t regions = 0;               // regions drawn
  int64_t regions_without_face = 0;  // drawn regions containing no annotated face's centre

  // Adds one image: its annotated faces with the covered share of each, and the drawn regions'
  // bounds (RedactedRegion::region).
  void AddImage(const std::vector<Box>& faces, const std::vector<float>& coverage,
                const std::vector<Box>& drawn);
};

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_REDACTION_H_
