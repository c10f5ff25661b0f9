// The test photos: face-api's demo samples 1..6, from the npm package scripts/models.sh pins
// under the model directory (FACET_MODEL_DIR, set by tests/CMakeLists.txt).
#ifndef FACET_TESTS_SAMPLES_H_
#define FACET_TESTS_SAMPLES_H_

#include <fstream>
#include <iterator>
#include <string>

namespace facet::fixtures {

inline std::string SamplePath(int i) {
  return std::string(FACET_MODEL_DIR) + "/src/@vladmandic/face-api@1.7.15/demo/sample" +
         std::to_string(i) + ".jpg";
}

// The whole file as bytes; empty when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace facet::fixtures

#endif  // FACET_TESTS_SAMPLES_H_
