// Per-stage latency and whole-image throughput. Run: build/bench/engine_bench
// (scripts/bench.sh writes the table in docs/benchmarks.md). Images: the pinned sample photos
// (1920 px wide, 3-5 faces) and, when present, ../shared/data/lfw.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

#include "facet/engine.h"
#include "facet/image.h"

namespace {

std::string ModelDir() {
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr ? env : FACET_MODEL_DIR;
}

std::string SamplePath(int i) {
  return ModelDir() + "/src/@vladmandic/face-api@1.7.15/demo/sample" + std::to_string(i) + ".jpg";
}

struct Fixture {
  std::shared_ptr<const facet::Engine> engine;
  std::unique_ptr<facet::Session> session;
  std::shared_ptr<const facet::Engine> dlib_engine;  // recognizer "dlib_resnet"
  std::unique_ptr<facet::Session> dlib_session;
  facet::Image photo;  // sample5.jpg: 1920x1398, 5 faces
  std::vector<facet::Face> faces;
};

Fixture* Get() {
  static Fixture* fixture = [] {
    auto* f = new Fixture();
    cv::setNumThreads(1);
    auto engine = facet::Engine::Create({.model_dir = ModelDir(), .num_threads = 1});
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
      std::exit(1);
    }
    f->engine = engine.value();
    f->session = std::move(f->engine->NewSession()).value();
    auto dlib = facet::Engine::Create(
        {.model_dir = ModelDir(), .recognizer = "dlib_resnet", .num_threads = 1});
    if (!dlib.ok()) {
      std::fprintf(stderr, "%s\n", dlib.status().ToString().c_str());
      std::exit(1);
    }
    f->dlib_engine = dlib.value();
    f->dlib_session = std::move(f->dlib_engine->NewSession()).value();
    f->photo = std::move(facet::LoadImage(SamplePath(5))).value();
    f->faces = std::move(f->session->Detect(f->photo)).value();
    return f;
  }();
  return fixture;
}

void BM_DetectFast1080p(benchmark::State& state) {
  Fixture* f = Get();
  facet::DetectOptions options;
  options.compute_quality = false;
  for (auto _ : state) benchmark::DoNotOptimize(f->session->Detect(f->photo, options));
  state.counters["faces"] = static_cast<double>(f->faces.size());
}
BENCHMARK(BM_DetectFast1080p)->Unit(benchmark::kMillisecond);

void BM_DetectFastWithQuality1080p(benchmark::State& state) {
  Fixture* f = Get();
  for (auto _ : state) benchmark::DoNotOptimize(f->session->Detect(f->photo));
}
BENCHMARK(BM_DetectFastWithQuality1080p)->Unit(benchmark::kMillisecond);

void BM_DetectRecall1080p(benchmark::State& state) {
  Fixture* f = Get();
  facet::DetectOptions options;
  options.mode = facet::DetectorMode::kRecall;
  for (auto _ : state) benchmark::DoNotOptimize(f->session->Detect(f->photo, options));
}
BENCHMARK(BM_DetectRecall1080p)->Unit(benchmark::kMillisecond);

// Landmarks are part of Detect; this is align + embed of one face.
void BM_EmbedOneFace(benchmark::State& state) {
  Fixture* f = Get();
  facet::EmbedOptions options;
  options.mirror_average = state.range(0) != 0;
  for (auto _ : state) benchmark::DoNotOptimize(f->session->Embed(f->photo, f->faces[0], options));
}
BENCHMARK(BM_EmbedOneFace)->Arg(0)->Arg(1)->ArgName("mirror")->Unit(benchmark::kMillisecond);

// The same with the second recognizer (150x150 crop, dlib ResNet).
void BM_EmbedOneFaceDlib(benchmark::State& state) {
  Fixture* f = Get();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f->dlib_session->Embed(f->photo, f->faces[0]));
  }
}
BENCHMARK(BM_EmbedOneFaceDlib)->Unit(benchmark::kMillisecond);

void BM_WholePhoto(benchmark::State& state) {
  Fixture* f = Get();
  for (auto _ : state) {
    auto faces = f->session->Detect(f->photo);
    benchmark::DoNotOptimize(f->session->EmbedAll(f->photo, faces.value()));
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["faces/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * f->faces.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WholePhoto)->Unit(benchmark::kMillisecond);

void BM_DecodeJpeg1080p(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(facet::LoadImage(SamplePath(5)));
}
BENCHMARK(BM_DecodeJpeg1080p)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
