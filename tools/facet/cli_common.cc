#include "cli_common.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <numeric>

namespace facet::cli {

std::string ResolveModelDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("FACET_MODEL_DIR");
  return env != nullptr && *env != '\0' ? env : FACET_DEFAULT_MODEL_DIR;
}

std::shared_ptr<const Engine> CreateEngineOrPrint(const EngineFlags& flags) {
  EngineOptions options;
  options.model_dir = ResolveModelDir(flags.model_dir);
  options.recognizer = flags.recognizer;
  options.detector = flags.detector;
  options.num_threads = flags.threads;
  options.backend = flags.backend;
  auto engine = Engine::Create(options);
  if (!engine.ok()) {
    PrintError("cannot load models", engine.status());
    return nullptr;
  }
  const RecognizerInfo& info = engine.value()->recognizer();
  if (flags.needs_thresholds && !info.calibrated()) {
    PrintError("--model " + info.name,
               Status::FailedPrecondition(
                   "the registered model has no thresholds yet, and this command needs them to "
                   "decide \"same person\": run `facet models calibrate " + info.name +
                   " --data LFW_DIR" + (flags.model_dir.empty() ? "" : " --models " + flags.model_dir) +
                   "` (or give \"thresholds\" in its manifest; docs/models.md)"));
    return nullptr;
  }
  return engine.value();
}

void AddEngineFlags(CLI::App* cmd, EngineFlags* flags) {
  std::string known;
  for (const std::string& name : RecognizerNames()) known += (known.empty() ? "" : ", ") + name;
  cmd->add_option("--models", flags->model_dir,
                  "model directory (default: $FACET_MODEL_DIR or the build's models/)");
  cmd->add_option("--model", flags->recognizer,
                  "recognition model (" + known + ", or one registered with `facet models add`; "
                  "default " + flags->recognizer + ")");
  std::string detectors;
  for (const std::string& name : DetectorNames()) detectors += (detectors.empty() ? "" : ", ") + name;
  // Not checked here: a registered name is known only once --models is read; Engine::Create
  // refuses an unknown name, listing the built-in and registered ones.
  cmd->add_option("--detector", flags->detector,
                  "face detector (" + detectors +
                      ", or one registered with `facet models add`; default " + flags->detector +
                      "; retinaface's weights are for non-commercial research, blazeface is "
                      "Apache-2.0: see `facet models`)");
  cmd->add_option(
      "--threads", flags->threads,
      "threads per inference, at most the machine's cores (default 0: XNNPACK on the calling "
      "thread, OpenCV's default)");
  std::string backends;
  for (const std::string& name : BackendNames()) backends += (backends.empty() ? "" : ", ") + name;
  cmd->add_option("--backend", flags->backend,
                  "inference backend (" + backends + "; default " + flags->backend + ")")
      ->check(CLI::IsMember(BackendNames()));
}

double Round(double v, double digits) { return std::round(v * digits) / digits; }

nlohmann::json RedactedShareJson(const std::vector<float>& share_per_frame) {
  double sum = 0, most = 0;
  for (float share : share_per_frame) {
    sum += share;
    most = std::max(most, static_cast<double>(share));
  }
  const double mean =
      share_per_frame.empty() ? 0 : sum / static_cast<double>(share_per_frame.size());
  return {{"mean", Round(mean)}, {"max", Round(most)}};
}

bool CheckWorkers(int workers) {
  if (workers >= 1 && workers <= kMaxWorkers) return true;
  PrintError("--workers", Status::InvalidArgument("must be 1.." + std::to_string(kMaxWorkers) +
                                                  ", got " + std::to_string(workers)));
  return false;
}

Status CheckOutputIsNotAnInput(const std::string& output, const std::vector<std::string>& inputs) {
  std::error_code ec;
  if (!std::filesystem::exists(output, ec)) return Status::Ok();
  for (const std::string& input : inputs) {
    if (std::filesystem::equivalent(input, output, ec)) {
      std::string message = output;
      message += ": is the input ";
      message += input;
      message += " (through a link or not); write elsewhere";
      return Status::InvalidArgument(message);
    }
  }
  return Status::Ok();
}

namespace {

// Interrupt signals received (async-signal-safe: written only by the handler).
volatile std::sig_atomic_t g_interrupted = 0;
// As ffmpeg does: the first signals ask for a clean stop; the third ends the process at once.
// A wrapper (timeout, a shell script) often passes one Ctrl-C on twice, to the process and to its
// process group, so the second must not be the hard one.
constexpr int kHardInterrupt = 3;

extern "C" void OnInterrupt(int signal_number) {
  if (g_interrupted < kHardInterrupt) g_interrupted = g_interrupted + 1;
  if (g_interrupted >= kHardInterrupt) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

}  // namespace

void CatchInterrupts() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);  // one handler at a time on a thread
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool InterruptRequested() { return g_interrupted != 0; }

void PrintError(const std::string& context, const Status& status) {
  std::fprintf(stderr, "facet: %s: %s\n", context.c_str(), status.ToString().c_str());
}

Box ClipBox(const Box& box, int width, int height) {
  const float x0 = std::clamp(box.x, 0.0f, static_cast<float>(width));
  const float y0 = std::clamp(box.y, 0.0f, static_cast<float>(height));
  const float x1 = std::clamp(box.x + box.width, 0.0f, static_cast<float>(width));
  const float y1 = std::clamp(box.y + box.height, 0.0f, static_cast<float>(height));
  return {x0, y0, std::max(0.0f, x1 - x0), std::max(0.0f, y1 - y0)};
}

nlohmann::json ClippedBoxJson(const Box& box, int width, int height) {
  auto round2 = [](float v) { return std::round(v * 100.0f) / 100.0f; };
  const Box clipped = ClipBox(box, width, height);
  return {round2(clipped.x), round2(clipped.y), round2(clipped.width), round2(clipped.height)};
}

std::string BoxText(const nlohmann::json& box) {
  char text[128];
  std::snprintf(text, sizeof(text), "[%g, %g, %g, %g]", box[0].get<double>(), box[1].get<double>(),
                box[2].get<double>(), box[3].get<double>());
  return text;
}

bool HasImageExtension(const std::string& path) {
  return ImageFormatForPath(path) != ImageFormat::kUnknown;
}

std::vector<size_t> LargestFirst(const std::vector<Face>& faces, int width, int height) {
  std::vector<float> area;
  for (const Face& f : faces) {
    const nlohmann::json box = ClippedBoxJson(f.box, width, height);
    area.push_back(box[2].get<float>() * box[3].get<float>());
  }
  std::vector<size_t> order(faces.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return area[a] > area[b]; });
  return order;
}

nlohmann::json FaceToJson(const Face& face) {
  auto round2 = [](float v) { return std::round(v * 100.0f) / 100.0f; };
  nlohmann::json landmarks = nlohmann::json::array();
  for (const Point& p : face.landmarks) landmarks.push_back({round2(p.x), round2(p.y)});
  nlohmann::json out = {
      {"box", {round2(face.box.x), round2(face.box.y), round2(face.box.width),
               round2(face.box.height)}},
      {"score", std::round(face.score * 10000.0f) / 10000.0f},
      {"landmarks", landmarks},
      {"quality", QualityLevelName(face.quality.level)},
      {"quality_details",
       {{"score", std::round(face.quality.score * 1000.0f) / 1000.0f},
        {"mirror_agreement", std::round(face.quality.mirror_agreement * 1000.0f) / 1000.0f},
        {"feature_norm", round2(face.quality.feature_norm)},
        {"face_size", round2(face.quality.face_size)},
        {"sharpness", round2(face.quality.sharpness)},
        {"yaw", round2(face.quality.yaw_degrees)},
        {"pitch", round2(face.quality.pitch_degrees)},
        {"roll", round2(face.quality.roll_degrees)},
        {"pose_method", PoseMethodName(face.quality.pose_method)}}},
  };
  if (!face.landmarks68.empty()) {
    nlohmann::json dense = nlohmann::json::array();
    for (const Point& p : face.landmarks68) dense.push_back({round2(p.x), round2(p.y)});
    out["landmarks68"] = std::move(dense);
  }
  return out;
}

nlohmann::json ErrorToJson(const Status& status) {
  return {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
}

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1 && total > 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (enabled_) Draw(true);
}

void Progress::Advance(size_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_) {
    last_draw_ = now;
    Draw(false);
  }
}

void Progress::Draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * std::min(done_, total_) / total_) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu  %.1f/s  ETA %dm%02ds", label_.c_str(), bar.c_str(),
               done_, total_, rate, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  if (final) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace facet::cli
