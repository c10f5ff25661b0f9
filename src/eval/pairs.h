// Parsers of verification pair lists: LFW's official pairs.txt and a generic "LABEL A B" list.
#ifndef FACET_SRC_EVAL_PAIRS_H_
#define FACET_SRC_EVAL_PAIRS_H_

#include <string>
#include <vector>

#include "facet/status.h"

namespace facet::eval {

struct LabeledPair {
  std::string path_a;  // relative to the data root
  std::string path_b;
  bool same = false;
  int fold = 0;  // 0-based; 0 for lists without folds
};

// LFW pairs.txt: a first line "FOLDS N", then per fold N matched lines "NAME I J" followed by N
// mismatched lines "NAME1 I NAME2 J". Paths come out as "NAME/NAME_%04d.jpg".
Result<std::vector<LabeledPair>> ParseLfwPairs(const std::string& text);

// A generic list: one pair per line "LABEL PATH_A PATH_B", LABEL 1 (same) or 0 (different),
// separated by spaces or tabs; blank lines and lines starting with '#' are skipped. Paths cannot
// contain white space.
Result<std::vector<LabeledPair>> ParsePairList(const std::string& text);

// Reads a whole text file (kNotFound / kInvalidArgument with the path on failure).
Result<std::string> ReadTextFile(const std::string& path);

}  // namespace facet::eval

#endif  // FACET_SRC_EVAL_PAIRS_H_
