// Inference alone, per model and backend: the same ONNX files, the same inputs (a fixed formula),
// batch sizes 1 and 5, 1 and 2 threads. Run: build/bench/nn_bench (scripts/bench.sh).
// Compare backends by the CPU column when the machine is shared.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "nn/network.h"
#include "nn/xnnpack_network.h"

namespace {

std::string ModelDir() {
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr ? env : FACET_MODEL_DIR;
}

struct ModelCase {
  const char* file;
  int c, h, w;
  bool nhwc;
};

const ModelCase kModels[] = {
    {"blazeface_back_256.onnx", 3, 256, 256, true},
    {"onet.onnx", 3, 48, 48, false},
    {"mobilefacenet.onnx", 3, 112, 112, false},
    {"dlib_resnet.onnx", 3, 150, 150, false},
    {"retinaface_mnet025.onnx", 3, 768, 1024, true},  // any size: a WIDER-size photo here
    {"landmarks68.onnx", 3, 112, 112, false},
    {"face_mesh.onnx", 3, 192, 192, false},
};

// state.range: model index, backend (0 xnnpack, 1 opencv, 2 xnnpack operators only: no facet
// kernels), batch, threads.
void BM_Forward(benchmark::State& state) {
  const ModelCase& m = kModels[state.range(0)];
  const auto backend = state.range(1) == 1 ? facet::nn::Backend::kOpenCv : facet::nn::Backend::kXnnpack;
  const bool facet_kernels = state.range(1) != 2;
  const int batch = static_cast<int>(state.range(2));
  const int threads = static_cast<int>(state.range(3));
  cv::setNumThreads(backend == facet::nn::Backend::kOpenCv ? threads : 1);
  auto file = facet::nn::ModelFile::Read(ModelDir() + "/" + m.file,
                                         {.backend = backend, .num_threads = threads,
                                          .facet_kernels = facet_kernels});
  if (!file.ok()) {
    state.SkipWithError(file.status().ToString().c_str());
    return;
  }
  auto network = facet::nn::Network::Create(*file.value());
  if (!network.ok()) {
    state.SkipWithError(network.status().ToString().c_str());
    return;
  }
  const int dims_nchw[] = {batch, m.c, m.h, m.w};
  const int dims_nhwc[] = {batch, m.h, m.w, m.c};
  cv::Mat input(4, m.nhwc ? dims_nhwc : dims_nchw, CV_32F);
  for (size_t i = 0; i < input.total(); ++i) {
    input.ptr<float>()[i] = static_cast<float>(0.9 * std::sin(0.37 * static_cast<double>(i)));
  }
  std::vector<cv::Mat> outputs;
  if (!(*network)->Forward(input, &outputs).ok()) {  // warm-up: builds the runtime
    state.SkipWithError("forward failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize((*network)->Forward(input, &outputs));
  }
  state.SetLabel(std::string(m.file) + " " + facet::nn::BackendName(backend) +
                 (facet_kernels ? "" : "-operators-only") + " b" +
                 std::to_string(batch) + " t" + std::to_string(threads));
  state.counters["items/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                 benchmark::Counter::kIsRate);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int model : {0, 1, 2, 3, 5, 6}) {  // 4, RetinaFace, has its own runs (--per-op)
    for (int backend = 0; backend < 3; ++backend) {
      for (int threads : {1, 2}) {
        b->Args({model, backend, 1, threads});
        if (model == 1 || model == 2 || model == 5 || model == 6) {
          b->Args({model, backend, 5, threads});  // the faces of a photo
        }
      }
    }
  }
}
BENCHMARK(BM_Forward)->Apply(Args)->ArgNames({"model", "backend", "batch", "threads"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// --per-op [MODEL_FILE]: each XNNPACK operator timed alone, then the sum, per model.
int PerOp(const char* only) {
  for (const ModelCase& m : kModels) {
    if (only != nullptr && std::string(only) != m.file) continue;
    auto file = facet::nn::ModelFile::Read(ModelDir() + "/" + m.file,
                                           {.backend = facet::nn::Backend::kXnnpack});
    if (!file.ok()) {
      std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
      return 1;
    }
    std::vector<int64_t> dims;  // models of variable input size: the case's size
    if (file.value()->onnx_model()) {
      dims = m.nhwc ? std::vector<int64_t>{1, m.h, m.w, m.c} : std::vector<int64_t>{1, m.c, m.h, m.w};
    }
    auto timings = facet::nn::ProfileXnnpackOps(*file.value(), dims.empty() ? 200 : 20, dims);
    if (!timings.ok()) {
      std::fprintf(stderr, "%s\n", timings.status().ToString().c_str());
      return 1;
    }
    double total = 0;
    for (const auto& t : timings.value()) total += t.milliseconds;
    std::printf("== %s: %zu operators, %.3f ms in all\n", m.file, timings->size(), total);
    for (const auto& t : timings.value()) {
      std::printf("%8.3f ms %5.1f %%  %s\n", t.milliseconds, 100 * t.milliseconds / total, t.what.c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--per-op") return PerOp(argc >= 3 ? argv[2] : nullptr);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
