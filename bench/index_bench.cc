// 1:N search over a large gallery on one thread: exact float32, exact int8 and FAISS HNSW.
//
// Gallery: one LFW image per identity that has at least two (1,559 true mates, real templates
// computed end to end by the engine), padded to --gallery-size (default 1,000,000) with synthetic
// distractors drawn from a Gaussian fitted to LFW's templates (mean and covariance), normalised.
// Probes: the other images of those identities (3,420). Before the timings, prints for each
// index how often the true mate is ranked first, how often its top hit agrees with exact float32,
// the memory per template, and the clustering sweep on LFW (docs/benchmarks.md).
//
//   build/bench/index_bench --lfw=../shared/data/lfw --cache=build/bench_cache [--ef=64,128]
//       [--hnsw-only]   (after one full run: HNSW against the exact answers cached then)
//       [--single-adds=N]   (last: N one-template adds into the HNSW index, timed, then removed)
//       [--time-graph-copy]   (the HNSW graph copied as a node's snapshot copies it under its lock)
//       [--shards=1,2,4]   (the gallery split into that many HNSW graphs, merged per query;
//                           each shard's graph cached like the whole one; with --no-hnsw, or
//                           the 1-shard graph is held twice)
//
// The LFW templates (7,701 images, minutes) and the HNSW graph (1M vectors, ~20 minutes on 2
// cores at efConstruction 40, hours at 200) are computed once and cached in --cache; an
// interrupted graph build resumes from its last checkpoint (every 100,000 vectors).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <opencv2/core.hpp>

#include "batch.h"
#include "eval/clustering.h"
#include "facet/engine.h"
#include "facet/search.h"
#include "index/bytes.h"
#include "index_bench_shards.h"
#include "index/vector_index.h"

namespace {

namespace fs = std::filesystem;
using facet::index::IndexKind;
using facet::index::SearchHit;
using facet::index::VectorIndex;

constexpr int kTopK = 10;
constexpr float kThreshold = 0.5311f;  // MobileFaceNet at FMR 1e-4 (the gallery default)

struct LfwFace {
  std::string identity;
  std::vector<float> values;
};

struct Data {
  int dims = 0;
  std::vector<LfwFace> lfw;
  std::vector<float> gallery;          // mates first, then distractors
  std::vector<int64_t> ids;
  std::vector<float> probes;
  std::vector<int64_t> probe_mate;     // gallery id of each probe's mate
  std::unique_ptr<VectorIndex> f32, int8, hnsw;
};

Data* g_data = nullptr;

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

long MaxRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

std::string ModelDir() {
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr ? env : FACET_MODEL_DIR;
}

// Templates of every LFW image (the face nearest the centre), cached.
std::vector<LfwFace> LoadOrEmbedLfw(const std::string& lfw, const std::string& cache, int* dims) {
  const std::string path = cache + "/lfw_mobilefacenet.bin";
  std::vector<LfwFace> faces;
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    facet::index::ByteReader r(bytes);
    uint32_t d = 0, n = 0;
    r.Get(&d);
    r.Get(&n);
    for (uint32_t i = 0; i < n; ++i) {
      LfwFace f;
      if (!r.GetString(&f.identity) || !r.GetArray(d, &f.values)) break;
      faces.push_back(std::move(f));
    }
    *dims = static_cast<int>(d);
    std::printf("LFW templates: %zu read from %s\n", faces.size(), path.c_str());
    return faces;
  }
  std::vector<std::string> paths;
  for (const auto& dir : fs::directory_iterator(lfw + "/images")) {
    for (const auto& file : fs::directory_iterator(dir.path())) paths.push_back(file.path());
  }
  std::sort(paths.begin(), paths.end());
  auto engine = facet::Engine::Create({.model_dir = ModelDir(), .num_threads = 1});
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    std::exit(1);
  }
  facet::cli::BatchOptions options;
  options.pick = facet::cli::FacePick::kNearestCentre;
  options.detect.compute_quality = false;
  options.progress_label = "embed LFW";
  const auto items = facet::cli::EmbedImages(engine.value(), paths, options);
  std::vector<uint8_t> bytes;
  facet::index::ByteWriter w(&bytes);
  size_t failed = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!items[i].embedding) {
      ++failed;
      continue;
    }
    faces.push_back({fs::path(paths[i]).parent_path().filename().string(),
                     items[i].embedding->values});
  }
  *dims = faces.empty() ? 0 : static_cast<int>(faces[0].values.size());
  w.Put<uint32_t>(static_cast<uint32_t>(*dims));
  w.Put<uint32_t>(static_cast<uint32_t>(faces.size()));
  for (const LfwFace& f : faces) {
    w.PutString(f.identity);
    w.PutArray<float>(f.values);
  }
  fs::create_directories(cache);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::printf("LFW templates: %zu embedded (%zu images without a face), cached in %s\n",
              faces.size(), failed, path.c_str());
  return faces;
}

// Distractors ~ N(mean, covariance of LFW's templates), normalised.
std::vector<float> Distractors(const std::vector<LfwFace>& lfw, int dims, size_t count) {
  cv::Mat samples(static_cast<int>(lfw.size()), dims, CV_64F);
  for (size_t i = 0; i < lfw.size(); ++i) {
    for (int j = 0; j < dims; ++j) samples.at<double>(static_cast<int>(i), j) = lfw[i].values[j];
  }
  cv::Mat covariance, mean;
  cv::calcCovarMatrix(samples, covariance, mean, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE);
  cv::Mat eigenvalues, eigenvectors;
  cv::eigen(covariance, eigenvalues, eigenvectors);  // rows of eigenvectors
  std::vector<double> scale(dims);
  for (int j = 0; j < dims; ++j) scale[j] = std::sqrt(std::max(0.0, eigenvalues.at<double>(j)));
  std::mt19937_64 rng(20261123);
  std::normal_distribution<double> normal;
  std::vector<float> out(count * dims);
  std::vector<double> z(dims), v(dims);
  for (size_t i = 0; i < count; ++i) {
    for (int j = 0; j < dims; ++j) z[j] = normal(rng) * scale[j];
    double norm = 0;
    for (int c = 0; c < dims; ++c) {
      double x = mean.at<double>(c);
      for (int j = 0; j < dims; ++j) x += eigenvectors.at<double>(j, c) * z[j];
      v[c] = x;
      norm += x * x;
    }
    for (int c = 0; c < dims; ++c) out[i * dims + c] = static_cast<float>(v[c] / std::sqrt(norm));
  }
  return out;
}

void BuildData(Data& d, size_t gallery_size) {
  std::map<std::string, std::vector<size_t>> by_identity;
  for (size_t i = 0; i < d.lfw.size(); ++i) by_identity[d.lfw[i].identity].push_back(i);
  for (const auto& [identity, rows] : by_identity) {
    if (rows.size() < 2) continue;
    const auto mate = static_cast<int64_t>(d.ids.size());
    d.ids.push_back(mate);
    d.gallery.insert(d.gallery.end(), d.lfw[rows[0]].values.begin(), d.lfw[rows[0]].values.end());
    for (size_t r = 1; r < rows.size(); ++r) {
      d.probes.insert(d.probes.end(), d.lfw[rows[r]].values.begin(), d.lfw[rows[r]].values.end());
      d.probe_mate.push_back(mate);
    }
  }
  const size_t mates = d.ids.size();
  const size_t distractors = gallery_size > mates ? gallery_size - mates : 0;
  const std::vector<float> extra = Distractors(d.lfw, d.dims, distractors);
  d.gallery.insert(d.gallery.end(), extra.begin(), extra.end());
  for (size_t i = 0; i < distractors; ++i) d.ids.push_back(static_cast<int64_t>(mates + i));
  std::printf("gallery: %zu LFW mates + %zu synthetic distractors; %zu probes\n", mates,
              distractors, d.probe_mate.size());
}

// "64,96,128" -> {64, 96, 128}; exits on anything else.
std::vector<int> ParseIntList(const std::string& text, const char* flag) {
  std::vector<int> efs;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, comma - begin);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos ||
        item.size() > 5 || std::stoi(item) < 1) {
      std::fprintf(stderr, "index_bench: %s takes a list of positive integers, e.g. 64,128\n",
                   flag);
      std::exit(2);
    }
    efs.push_back(std::stoi(item));
    begin = comma + 1;
  }
  return efs;
}

std::unique_ptr<VectorIndex> ReadHnsw(const std::string& path, int dims,
                                      const facet::index::HnswOptions& options) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto index = facet::index::DeserializeIndex(IndexKind::kHnsw, dims, bytes, options);
  return index.ok() ? std::move(index).value() : nullptr;
}

void WriteHnsw(const VectorIndex& index, const std::string& path) {
  std::vector<uint8_t> bytes;
  if (!index.Serialize(&bytes).ok()) return;
  const std::string partial = path + ".writing";
  std::ofstream(partial, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  fs::rename(partial, path);
}

// Adds `count` LFW probe templates to the HNSW index one call each, as a gallery enrolls a face,
// then removes them; prints the wall time per call (OpenMP as configured: 1 thread here).
void TimeSingleAdds(Data& d, int count) {
  std::vector<double> add_ms;
  std::vector<int64_t> added;
  for (int i = 0; i < count && static_cast<size_t>(i) < d.probes.size() / d.dims; ++i) {
    const int64_t id = int64_t{4'000'000'000} + i;
    const auto start = std::chrono::steady_clock::now();
    if (!d.hnsw
             ->Add(std::span<const int64_t>(&id, 1),
                   std::span<const float>(d.probes.data() + static_cast<size_t>(i) * d.dims,
                                          static_cast<size_t>(d.dims)))
             .ok()) {
      std::exit(1);
    }
    add_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    added.push_back(id);
  }
  const auto start = std::chrono::steady_clock::now();
  d.hnsw->Remove(added);
  const double remove_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (add_ms.empty()) return;
  std::sort(add_ms.begin(), add_ms.end());
  std::printf(
      "HNSW single adds: %zu, median %.2f ms, max %.2f ms; removing them (one call) %.0f ms\n",
      add_ms.size(), add_ms[add_ms.size() / 2], add_ms.back(), remove_ms);
}

// The graph is built in batches; every kCheckpoint vectors it is written to PATH.partial, and a
// later run resumes from there (the gallery is deterministic), so a build of hours can be spread
// over several runs.
// `gallery_size` and `suffix` name the cache file (a shard's graph: the whole gallery's size and
// "_shardIofS").
std::unique_ptr<VectorIndex> LoadOrBuildHnsw(std::span<const int64_t> ids,
                                             std::span<const float> vectors, int dims,
                                             size_t gallery_size, const std::string& suffix,
                                             const std::string& cache,
                                             const facet::index::HnswOptions& options) {
  const std::string path = cache + "/hnsw_" + std::to_string(gallery_size) + "_m" +
                           std::to_string(options.m) + "_efc" +
                           std::to_string(options.ef_construction) + suffix + ".bin";
  const std::string checkpoint = path + ".partial";
  if (fs::exists(path)) {
    const auto read_start = std::chrono::steady_clock::now();
    auto index = ReadHnsw(path, dims, options);
    if (index != nullptr && index->size() == ids.size()) {
      std::printf(
          "HNSW: read %s in %.1f s wall (neighbour codes included)\n", path.c_str(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count());
      return index;
    }
    std::printf("HNSW: %s unusable, rebuilding\n", path.c_str());
  }
  std::unique_ptr<VectorIndex> index;
  if (fs::exists(checkpoint)) {
    index = ReadHnsw(checkpoint, dims, options);
    if (index != nullptr && index->size() < ids.size()) {
      std::printf("HNSW: resuming from %s (%zu vectors)\n", checkpoint.c_str(), index->size());
    } else {
      index = nullptr;
    }
  }
  if (index == nullptr) index = std::move(facet::index::NewHnswIndex(dims, options)).value();
  const size_t first = index->size();
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = static_cast<double>(clock()) / CLOCKS_PER_SEC;
  constexpr size_t kBatch = 50'000;
  constexpr size_t kCheckpoint = 100'000;
  for (size_t begin = first; begin < ids.size(); begin += kBatch) {
    const size_t n = std::min(kBatch, ids.size() - begin);
    if (!index
             ->Add(std::span<const int64_t>(ids.data() + begin, n),
                   std::span<const float>(vectors.data() + begin * dims, n * dims))
             .ok()) {
      std::exit(1);
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("HNSW build: %zu / %zu, %.0f s wall, %.0f vectors/s\n", begin + n, ids.size(),
                wall, static_cast<double>(begin + n - first) / wall);
    std::fflush(stdout);
    if ((begin + n) % kCheckpoint == 0 && begin + n < ids.size()) WriteHnsw(*index, checkpoint);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(clock()) / CLOCKS_PER_SEC - cpu_start;
  std::printf("HNSW build: %zu vectors in %.0f s wall, %.0f s CPU (%d OpenMP threads)\n",
              ids.size() - first, wall, cpu, omp_get_max_threads());
  WriteHnsw(*index, path);
  fs::remove(checkpoint);
  return index;
}

// Exact float32's answers (top id and decision per probe), kept so that --hnsw-only runs can
// compare with them without two minutes of exact search. Keyed by the gallery size; the
// distractors are drawn with a fixed seed, so the same size is the same gallery.
std::string ExactCachePath(const std::string& cache, size_t gallery_size) {
  return cache + "/exact_f32_" + std::to_string(gallery_size) + ".bin";
}

bool ReadExact(const std::string& path, size_t n, std::vector<int64_t>* top,
               std::vector<int64_t>* decision) {
  std::ifstream in(path, std::ios::binary);
  top->assign(n, 0);
  decision->assign(n, 0);
  const auto bytes = static_cast<std::streamsize>(n * sizeof(int64_t));
  return in.read(reinterpret_cast<char*>(top->data()), bytes) &&
         in.read(reinterpret_cast<char*>(decision->data()), bytes) && in.peek() == EOF;
}

void WriteExact(const std::string& path, const std::vector<int64_t>& top,
                const std::vector<int64_t>& decision) {
  const auto bytes = static_cast<std::streamsize>(top.size() * sizeof(int64_t));
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(top.data()), bytes)
      .write(reinterpret_cast<const char*>(decision.data()), bytes);
}

// Leaves exact float32's answers in `exact_top` and `exact_decision` (for --shards).
void ReportAccuracy(Data& d, const std::vector<int>& efs, const std::string& cache,
                    std::vector<int64_t>& exact_top, std::vector<int64_t>& exact_decision) {
  const size_t n = d.probe_mate.size();
  exact_top.assign(n, 0);
  exact_decision.assign(n, 0);
  std::vector<SearchHit> hits;
  const std::string exact_path = ExactCachePath(cache, d.ids.size());
  // mate 1st: the true mate ranked first. = exact top: the same first template as exact float32.
  // = exact outcome: the mate first exactly when exact float32 ranks it first. = exact decision:
  // the same answer as exact float32 at the threshold (the same person, or both unknown).
  auto run = [&](const char* name, VectorIndex& index, int ef) {
    index.SetEfSearch(ef);
    size_t mate_first = 0, agree = 0, same_outcome = 0, same_decision = 0;
    const double cpu = CpuSeconds();
    for (size_t q = 0; q < n; ++q) {
      index.Search(std::span<const float>(d.probes.data() + q * d.dims, d.dims), kTopK, &hits);
      const int64_t top = hits.empty() ? -1 : hits[0].id;
      // The gallery's decision at its FMR-1e-4 threshold: the top template, or unknown.
      const int64_t decision = !hits.empty() && hits[0].similarity >= kThreshold ? top : -1;
      if (&index == d.f32.get()) {
        exact_top[q] = top;
        exact_decision[q] = decision;
      }
      same_decision += decision == exact_decision[q];
      mate_first += top == d.probe_mate[q];
      agree += top == exact_top[q];
      same_outcome += (top == d.probe_mate[q]) == (exact_top[q] == d.probe_mate[q]);
    }
    const double per_query = (CpuSeconds() - cpu) / static_cast<double>(n) * 1e3;
    const auto pct = [&](size_t count) { return 100.0 * static_cast<double>(count) / static_cast<double>(n); };
    std::printf("| %-18s | %6.2f %% | %6.2f %% | %6.2f %% | %6.2f %% | %8.3f ms | %6.0f B |\n",
                name, pct(mate_first), pct(agree), pct(same_outcome), pct(same_decision), per_query,
                static_cast<double>(index.MemoryBytes()) / static_cast<double>(index.size()));
    std::fflush(stdout);
  };
  std::printf("\n%zu probes, %zu gallery templates, top-%d, 1 thread (CPU time per query)\n", n,
              d.ids.size(), kTopK);
  std::printf("| index | mate 1st | = exact top | = exact outcome | = exact decision | CPU/query | "
              "memory/template |\n");
  if (d.f32) {
    run("exact float32", *d.f32, 0);
    run("exact int8", *d.int8, 0);
    WriteExact(exact_path, exact_top, exact_decision);
  } else if (!ReadExact(exact_path, n, &exact_top, &exact_decision)) {
    std::fprintf(stderr, "index_bench: --hnsw-only needs %s (run once without it)\n",
                 exact_path.c_str());
    std::exit(1);
  } else {
    std::printf("| exact float32      | (answers read from %s) |\n", exact_path.c_str());
  }
  if (d.hnsw) {
    for (int ef : efs) {
      const std::string name = "HNSW ef " + std::to_string(ef);
      run(name.c_str(), *d.hnsw, ef);
    }
  }
}

// A node's snapshot copies the graph under the gallery's read lock (node_snapshot.cc): the copy
// into a fresh buffer against one sized and touched beforehand, three times each.
void TimeGraphCopy(const VectorIndex& index) {
  for (int round = 0; round < 3; ++round) {
    const auto seconds = [&](std::vector<uint8_t>* out) {
      const auto start = std::chrono::steady_clock::now();
      if (!index.SerializeGraph(out).ok()) std::exit(1);
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::vector<uint8_t> fresh;
    const double fresh_s = seconds(&fresh);
    std::vector<uint8_t> touched(index.SerializedGraphBytes());
    touched.clear();
    const double touched_s = seconds(&touched);
    std::printf("graph copy, %zu bytes: into a fresh buffer %.3f s, into a touched one %.3f s\n",
                fresh.size(), fresh_s, touched_s);
  }
  std::fflush(stdout);
}

// Clustering of LFW's 7,701 templates by identity at several thresholds.
void ReportClustering(const Data& d) {
  std::vector<facet::Embedding> faces;
  std::vector<int> truth;
  std::map<std::string, int> identity;
  for (const LfwFace& f : d.lfw) {
    faces.push_back({"mobilefacenet", f.values, ""});
    truth.push_back(identity.emplace(f.identity, static_cast<int>(identity.size())).first->second);
  }
  const facet::RecognizerInfo info{"mobilefacenet", "", d.dims, 0.4507f, 0.5311f};
  std::printf("\nChinese Whispers on %zu LFW templates (%zu identities)\n", faces.size(),
              identity.size());
  std::printf("| threshold | clusters | BCubed P | BCubed R | BCubed F | pairwise P | pairwise R | pairwise F |\n");
  for (float threshold : {0.0f, 0.4507f, 0.5311f, 0.56f, 0.58f, 0.60f, 0.62f, 0.64f, 0.67f, 0.70f}) {
    facet::ClusterOptions options;  // 0: the default rule (false_links_per_face 0.1)
    if (threshold > 0) options.threshold = threshold;
    auto clustering = facet::ClusterFaces(faces, info, options);
    threshold = clustering.ok() ? clustering->threshold : threshold;
    if (!clustering.ok()) continue;
    auto s = facet::eval::ScoreClustering(clustering->labels, truth);
    std::printf("| %.4f | %lld | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", threshold,
                static_cast<long long>(s->clusters), s->bcubed.precision, s->bcubed.recall,
                s->bcubed.f1, s->pairwise.precision, s->pairwise.recall, s->pairwise.f1);
  }
  std::fflush(stdout);
}

void BM_Search(benchmark::State& state, std::unique_ptr<VectorIndex> Data::*which, int ef) {
  Data& d = *g_data;
  VectorIndex* index = (d.*which).get();
  if (index == nullptr) {
    state.SkipWithError("index not built");
    return;
  }
  index->SetEfSearch(ef);
  std::vector<SearchHit> hits;
  size_t q = 0;
  for (auto _ : state) {
    index->Search(std::span<const float>(d.probes.data() + q * d.dims, d.dims), kTopK, &hits);
    benchmark::DoNotOptimize(hits.data());
    q = (q + 1) % d.probe_mate.size();
  }
  state.counters["templates"] = static_cast<double>(index->size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string lfw = std::string(FACET_SHARED_DATA_DIR) + "/lfw";
  std::string cache = "build/bench_cache";
  size_t gallery_size = 1'000'000;
  bool hnsw = true;
  bool report = true;
  bool clusters = true;
  bool hnsw_only = false;  // skip the exact indexes; compare with exact answers cached earlier
  int single_adds = 0;     // then: time adding this many templates one at a time (an enrollment)
  bool time_graph_copy = false;
  std::vector<int> efs = {32, 64, 128, 256, 512};  // --ef: HNSW efSearch values measured
  std::vector<int> shard_counts;                    // --shards: none unless given
  facet::index::HnswOptions hnsw_options;  // M 32, efConstruction 40 unless given
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--lfw=", 0) == 0) lfw = arg.substr(6);
    else if (arg.rfind("--cache=", 0) == 0) cache = arg.substr(8);
    else if (arg.rfind("--gallery-size=", 0) == 0) gallery_size = std::stoull(arg.substr(15));
    else if (arg == "--no-hnsw") hnsw = false;
    else if (arg == "--no-report") report = false;
    else if (arg == "--no-clusters") clusters = false;
    else if (arg.rfind("--single-adds=", 0) == 0)
      single_adds = std::stoi(arg.substr(14));
    else if (arg == "--hnsw-only")
      hnsw_only = true;
    else if (arg == "--time-graph-copy")
      time_graph_copy = true;
    else if (arg.rfind("--hnsw-m=", 0) == 0) hnsw_options.m = std::stoi(arg.substr(9));
    else if (arg.rfind("--hnsw-efc=", 0) == 0) hnsw_options.ef_construction = std::stoi(arg.substr(11));
    else if (arg.rfind("--ef=", 0) == 0) efs = ParseIntList(arg.substr(5), "--ef");
    else if (arg.rfind("--shards=", 0) == 0) shard_counts = ParseIntList(arg.substr(9), "--shards");
    else rest.push_back(argv[i]);
  }
  if (!fs::exists(lfw + "/images")) {
    std::fprintf(stderr, "index_bench: %s/images not found (give --lfw=DIR)\n", lfw.c_str());
    return 1;
  }
  cv::setNumThreads(1);
  static Data data;
  g_data = &data;
  data.lfw = LoadOrEmbedLfw(lfw, cache, &data.dims);
  BuildData(data, gallery_size);
  const long rss_before = MaxRssMb();
  if (!hnsw_only) {
    data.f32 = facet::index::NewExactIndex(data.dims, IndexKind::kExactF32);
    data.int8 = facet::index::NewExactIndex(data.dims, IndexKind::kExactInt8);
    if (!data.f32->Add(data.ids, data.gallery).ok() ||
        !data.int8->Add(data.ids, data.gallery).ok()) {
      return 1;
    }
  }
  if (hnsw) {
    data.hnsw = LoadOrBuildHnsw(data.ids, data.gallery, data.dims, data.ids.size(), "", cache,
                                hnsw_options);
  }
  std::printf("max RSS %ld MB (%ld MB before the indexes)\n", MaxRssMb(), rss_before);
  if (time_graph_copy && data.hnsw) TimeGraphCopy(*data.hnsw);
  omp_set_num_threads(1);
  std::vector<int64_t> exact_top, exact_decision;
  if (report) {
    ReportAccuracy(data, efs, cache, exact_top, exact_decision);
    if (clusters) ReportClustering(data);
  }
  if (!shard_counts.empty() && exact_top.empty()) {
    std::fprintf(stderr, "index_bench: --shards needs the exact answers (not with --no-report)\n");
    return 1;
  }
  if (!shard_counts.empty()) {
    const facet::bench::ShardBenchInput input{
        data.dims,  data.ids,  data.gallery, data.probes, data.probe_mate,
        exact_top,  exact_decision, kThreshold, kTopK};
    facet::bench::ReportShards(
        input, shard_counts, efs,
        [&](std::span<const int64_t> ids, std::span<const float> vectors,
            const std::string& suffix) {
          omp_set_num_threads(2);  // the shards' graphs are built on 2 threads, searched on 1
          auto index = LoadOrBuildHnsw(ids, vectors, data.dims, data.ids.size(), suffix, cache,
                                       hnsw_options);
          omp_set_num_threads(1);
          return index;
        });
  }
  if (!hnsw_only) {
    benchmark::RegisterBenchmark("BM_ExactF32", BM_Search, &Data::f32, 0);
    benchmark::RegisterBenchmark("BM_ExactInt8", BM_Search, &Data::int8, 0);
  }
  for (int ef : efs) {
    if (!hnsw) break;
    benchmark::RegisterBenchmark(("BM_Hnsw/ef:" + std::to_string(ef)).c_str(), BM_Search,
                                 &Data::hnsw, ef);
  }
  int bench_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&bench_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (single_adds > 0 && data.hnsw) TimeSingleAdds(data, single_adds);
  return 0;
}
