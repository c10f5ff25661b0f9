// Error-versus-discard characteristic (ISO/IEC 29794-1): does a quality score predict recognition
// errors? Images are discarded lowest quality first; the false non-match rate of the remaining
// genuine pairs is read at a fixed threshold. Pure functions; thread-safe.
#ifndef FACET_SRC_EVAL_QUALITY_EDC_H_
#define FACET_SRC_EVAL_QUALITY_EDC_H_

#include <string>
#include <vector>

#include "facet/status.h"

namespace facet::eval {

struct EdcPair {
  int image_a = 0;  // indices into the image quality list
  int image_b = 0;
  bool same = false;
  // No face on one side (counted as a non-match, never dropped unless its image is discarded).
  bool failed = false;
  float similarity = 0;
};

struct EdcPoint {
  double discard_fraction = 0;  // share of images discarded
  long long genuine_pairs = 0;  // genuine pairs left
  long long false_non_matches = 0;
  double fnmr = 0;
  long long impostor_pairs = 0;
  double fmr = 0;
};

// For each fraction, discards that share of the images (lowest `image_quality` first; an image
// without a face should be given the lowest quality) and every pair using one, then counts the
// remaining pairs' errors at `threshold` (a match: similarity >= threshold).
std::vector<EdcPoint> ErrorVersusDiscard(const std::vector<EdcPair>& pairs,
                                         const std::vector<float>& image_quality, double threshold,
                                         const std::vector<double>& fractions);

// Draws FNMR against the discarded share (one curve per entry) to a PNG.
struct NamedEdc {
  std::string name;
  std::vector<EdcPoint> points;
};
Status WriteEdcPlot(const std::vector<NamedEdc>& curves, const std::string& path);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_QUALITY_EDC_H_
