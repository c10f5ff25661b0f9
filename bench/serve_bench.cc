// The engine's own throughput on the work /face/v1.0/detect does (decode a JPEG, detect, no
// attributes), one Session per thread: the reference for the HTTP service's throughput
// (scripts/serve_bench.sh compares the two on the same cores).
//   serve_bench --make-image OUT.jpg   writes the 640x480 benchmark photo (from sample1.jpg)
//   serve_bench IMAGE.jpg [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facet/engine.h"
#include "facet/image.h"

namespace {

std::string ModelDir() {
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr ? env : FACET_MODEL_DIR;
}

std::vector<uint8_t> g_jpeg;
std::shared_ptr<const facet::Engine> g_engine;

void BM_DecodeDetect(benchmark::State& state) {
  auto session = g_engine->NewSession();
  if (!session.ok()) {
    state.SkipWithError("no session");
    return;
  }
  facet::DetectOptions options;
  options.compute_quality = false;  // as /detect without returnFaceAttributes
  options.max_faces = 100;
  int64_t faces = 0;
  for (auto _ : state) {
    auto image = facet::DecodeImage(g_jpeg);
    auto found = (*session)->Detect(image.value(), options);
    faces += static_cast<int64_t>(found->size());
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["faces_per_image"] = benchmark::Counter(
      static_cast<double>(faces) / static_cast<double>(std::max<int64_t>(1, state.iterations())),
      benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_DecodeDetect)->ThreadRange(1, 2)->UseRealTime()->MinTime(5.0);

int MakeImage(const std::string& out) {
  const std::string sample = ModelDir() + "/src/@vladmandic/face-api@1.7.15/demo/sample1.jpg";
  cv::Mat photo = cv::imread(sample, cv::IMREAD_COLOR);
  if (photo.empty()) {
    std::fprintf(stderr, "cannot read %s\n", sample.c_str());
    return 1;
  }
  // Scale to 640 wide, then crop the middle 480 rows: 640x480 with the photo's faces.
  cv::Mat scaled;
  cv::resize(photo, scaled, cv::Size(640, photo.rows * 640 / photo.cols), 0, 0, cv::INTER_AREA);
  const int top = std::max(0, (scaled.rows - 480) / 2);
  cv::Mat cropped = scaled(cv::Rect(0, top, 640, std::min(480, scaled.rows))).clone();
  if (cropped.rows < 480) cv::copyMakeBorder(cropped, cropped, 0, 480 - cropped.rows, 0, 0, cv::BORDER_REPLICATE);
  return cv::imwrite(out, cropped, {cv::IMWRITE_JPEG_QUALITY, 90}) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--make-image") return MakeImage(argv[2]);
  if (argc < 2) {
    std::fprintf(stderr, "usage: serve_bench IMAGE.jpg [benchmark flags] | --make-image OUT.jpg\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  g_jpeg.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto engine = facet::Engine::Create({.model_dir = ModelDir(), .num_threads = 1});
  if (!engine.ok() || g_jpeg.empty()) {
    std::fprintf(stderr, "cannot load the models or the image\n");
    return 1;
  }
  g_engine = engine.value();
  argv[1] = argv[0];
  --argc;
  ++argv;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
