// The test photos: face-api's demo samples 1..6, from the npm package scripts/models.sh pins
// under the model directory (FACET_MODEL_DIR, set by tests/CMakeLists.txt).
#ifndef FACET_TESTS_SAMPLES_H_
#define FACET_TESTS_SAMPLES_H_

#include <fstream>
#include <iterator>
#include <string>

namespace facet::fixtures {

inline std::string SamplePath(int i) {
  // Appended in steps: GCC 12 warns of a false out-of-bounds memcpy (-Warray-bounds) in
  // `std::string(...) + "..." + ...` when the std headers come from a PCH (tests/CMakeLists.txt).
  std::string path = FACET_MODEL_DIR;
  path += "/src/@vladmandic/face-api@1.7.15/demo/sample";
  path += std::to_string(i);
  path += ".jpg";
  return path;
}

// The whole file as bytes; empty when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace facet::fixtures

#endif  // FACET_TESTS_SAMPLES_H_
