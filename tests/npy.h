// A minimal reader of NumPy .npy files (float32, little-endian, C order) for golden tests.
#ifndef FACET_TESTS_NPY_H_
#define FACET_TESTS_NPY_H_

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace facet::testing {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// Returns false (with `error` set) for anything but a float32 C-order .npy file.
inline bool ReadNpy(const std::string& path, NpyArray* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY") {
    *error = path + ": not a .npy file";
    return false;
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t len16 = 0;
    in.read(reinterpret_cast<char*>(&len16), 2);
    header_len = len16;
  } else {
    in.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) {
    *error = path + ": truncated header";
    return false;
  }
  if (header.find("'<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    *error = path + ": expected little-endian float32 in C order, header " + header;
    return false;
  }
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  out->shape.clear();
  int64_t count = 1;
  for (size_t pos = open + 1; pos < close;) {
    const size_t comma = header.find(',', pos);
    const std::string item = header.substr(pos, std::min(comma, close) - pos);
    if (item.find_first_of("0123456789") != std::string::npos) {
      out->shape.push_back(std::stoll(item));
      count *= out->shape.back();
    }
    if (comma == std::string::npos || comma > close) break;
    pos = comma + 1;
  }
  out->values.resize(static_cast<size_t>(count));
  if (!in.read(reinterpret_cast<char*>(out->values.data()),
               static_cast<std::streamsize>(count * sizeof(float)))) {
    *error = path + ": truncated data";
    return false;
  }
  return true;
}

}  // namespace facet::testing

#endif  // FACET_TESTS_NPY_H_
