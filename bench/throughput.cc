// Whole-photo throughput through the public API: decode -> detect (with landmarks and quality)
// [-> align + embed every face], one Session per worker thread, images handed out from a shared
// counter. Prints images/s and faces/s (wall clock) and CPU seconds per image.
//
//   throughput [--embed] [--workers N] [--repeat R] [--limit N] [--backend B] [--models DIR]
//              PATH...   (files, or directories searched recursively for .jpg/.png)
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "facet/engine.h"
#include "facet/image.h"

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "throughput: %s\n", message.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  bool embed = false;
  int workers = 1, repeat = 1;
  size_t limit = 0;
  std::string backend = "xnnpack";
  std::string models = std::getenv("FACET_MODEL_DIR") != nullptr ? std::getenv("FACET_MODEL_DIR") : FACET_MODEL_DIR;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--embed") embed = true;
    else if (arg == "--workers") workers = std::atoi(next().c_str());
    else if (arg == "--repeat") repeat = std::atoi(next().c_str());
    else if (arg == "--limit") limit = static_cast<size_t>(std::atol(next().c_str()));
    else if (arg == "--backend") backend = next();
    else if (arg == "--models") models = next();
    else if (std::filesystem::is_directory(arg)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".jpg" || ext == ".png")) found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      paths.insert(paths.end(), found.begin(), found.end());
    } else {
      paths.push_back(arg);
    }
  }
  if (limit > 0 && paths.size() > limit) paths.resize(limit);
  if (paths.empty() || workers < 1 || repeat < 1) Die("no images, or bad --workers/--repeat");
  std::vector<std::string> work;
  for (int r = 0; r < repeat; ++r) work.insert(work.end(), paths.begin(), paths.end());

  auto engine = facet::Engine::Create({.model_dir = models, .num_threads = 1, .backend = backend});
  if (!engine.ok()) Die(engine.status().ToString());
  // Sessions are made (and warmed up on the first image) before the clock starts.
  std::vector<std::unique_ptr<facet::Session>> sessions;
  for (int w = 0; w < workers; ++w) {
    auto session = (*engine)->NewSession();
    if (!session.ok()) Die(session.status().ToString());
    auto image = facet::LoadImage(paths.front());
    if (image.ok()) {
      auto faces = (*session)->Detect(image.value());
      if (embed && faces.ok() && !faces->empty()) (void)(*session)->EmbedAll(image.value(), faces.value());
    }
    sessions.push_back(std::move(session).value());
  }
  std::atomic<size_t> next{0}, faces_total{0}, failures{0};
  auto worker = [&](facet::Session& session) {
    for (size_t i = next++; i < work.size(); i = next++) {
      auto image = facet::LoadImage(work[i]);
      if (!image.ok()) {
        ++failures;
        continue;
      }
      auto faces = session.Detect(image.value());
      if (!faces.ok()) {
        ++failures;
        continue;
      }
      faces_total += faces->size();
      if (embed && !faces->empty() && !session.EmbedAll(image.value(), faces.value()).ok()) ++failures;
    }
  };
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(worker, std::ref(*sessions[static_cast<size_t>(w)]));
  worker(*sessions[0]);
  for (std::thread& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const double n = static_cast<double>(work.size());
  std::printf("%s, %d worker%s, %s backend: %zu images (%zu distinct), %zu faces, %zu failures\n",
              embed ? "decode+detect+embed" : "decode+detect", workers, workers > 1 ? "s" : "",
              backend.c_str(), work.size(), paths.size(), faces_total.load(), failures.load());
  std::printf("  wall %.2f s: %.1f images/s, %.1f faces/s; CPU %.1f ms per image (%.1f images per CPU-second)\n",
              wall, n / wall, static_cast<double>(faces_total.load()) / wall, 1e3 * cpu / n, n / cpu);
  return failures.load() == 0 ? 0 : 1;
}
