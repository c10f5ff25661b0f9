// Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without libFuzzer: the seeds run as a
// regular test with the normal compiler (and under ASan in the asan preset).
// Usage: fuzz_replay FILE_OR_DIR...
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Runs every file named or under a directory named; the number run. Throws what the filesystem
// or the target throws.
int ReplayAll(int argc, char** argv) {
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    std::filesystem::path arg(argv[i]);
    auto run = [&](const std::filesystem::path& path) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++runs;
    };
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) run(entry.path());
      }
    } else {
      run(arg);
    }
  }
  return runs;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int runs = ReplayAll(argc, argv);
    std::printf("fuzz_replay: %d inputs, no failure\n", runs);
    return runs > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_replay: %s\n", e.what());
    return 2;
  } catch (...) {
    std::fprintf(stderr, "fuzz_replay: an exception of unknown type\n");
    return 2;
  }
}
