// facet eval redact-video: does the detector still find a face in a redacted video?
//
// Redacts a video exactly as `facet redact IN OUT.mp4` does (RedactVideo, H.264 MP4), then decodes
// the written file and scans every frame with the detector at its normal threshold (0.5) in fast
// mode (one pass over the frame, as a recogniser runs it) and in recall mode (the frame plus tiles
// at 1/2 and 1/4 of the frame side: small faces too). The original is scanned the same way for
// comparison. A detection in the redacted file is a region the detector would hand to a
// recogniser; whether such a region can be recognised is measured separately (eval reid).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "eval/video_frames.h"
#include "facet/redact.h"
#include "redact_flags.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct EvalRedactVideoFlags {
  std::string input;
  std::string output;  // empty: a temporary file, removed afterwards
  RedactionFlags redaction;   // as `facet redact` takes them
  VideoRedactionFlags video;  // the same
  bool skip_original = false;
  bool skip_recall = false;
  int workers = 2;
  bool json = false;
  EngineFlags engine;
};

// Detections in every frame of one video, one detector setting.
struct VideoScan {
  int64_t frames = 0;
  int64_t detections = 0;
  int64_t frames_with_detection = 0;
  float max_score = 0;
  nlohmann::json Json() const {
    return {{"frames", frames},
            {"detections", detections},
            {"frames_with_a_detection", frames_with_detection},
            {"max_score", Round(max_score)}};
  }
};

// Frames decoded and scanned per batch (a 1080p frame is 6 MB).
constexpr size_t kBatchFrames = 32;

Result<VideoScan> ScanVideo(const std::shared_ptr<const Engine>& engine, const std::string& path,
                            DetectorMode mode, int workers) {
  auto frames = eval::VideoFrames::Open(path);
  if (!frames.ok()) return frames.status();
  DetectOptions detect;
  detect.score_threshold = 0.5f;  // a recogniser's threshold (BlazeFace's default; RetinaFace's is 0.75)
  detect.mode = mode;
  detect.compute_quality = false;
  detect.compute_landmarks = false;
  VideoScan scan;
  std::vector<Image> batch;
  const std::string label = std::string("scan ") + DetectorModeName(mode);
  for (;;) {
    FACET_RETURN_IF_ERROR((*frames)->NextBatch(kBatchFrames, &batch));
    if (batch.empty()) return scan;
    std::vector<Result<std::vector<Face>>> found(batch.size(), Status::Internal("not scanned"));
    FACET_RETURN_IF_ERROR(ForEachParallel(
        engine, batch.size(), workers, label,
        [&](Session& session, size_t i) { found[i] = session.Detect(batch[i], detect); }));
    for (const auto& faces : found) {
      if (!faces.ok()) return faces.status();
      ++scan.frames;
      scan.detections += static_cast<int64_t>(faces->size());
      scan.frames_with_detection += faces->empty() ? 0 : 1;
      for (const Face& face : faces.value()) scan.max_score = std::max(scan.max_score, face.score);
    }
  }
}

int RunEvalRedactVideo(EvalRedactVideoFlags& flags) {
  auto redact = RedactOptionsFromFlags(flags.redaction);
  if (!redact.ok()) {
    PrintError("eval redact-video", redact.status());
    return kExitUsage;
  }
  VideoRedactOptions options;  // facet redact's defaults
  options.threads = flags.workers;
  options.redact = redact.value();
  ApplyVideoRedactionFlags(flags.video, &options);
  if (Status status = ValidateRedactOptions(options); !status.ok()) {
    PrintError("eval redact-video", status);
    return kExitUsage;
  }
  if (flags.engine.threads == 0) flags.engine.threads = 1;
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  std::string output = flags.output;
  if (output.empty()) {
    output = (fs::temp_directory_path() /
              ("facet-eval-redact-video-" + std::to_string(getpid()) + ".mp4"))
                 .string();
  }
  auto summary = RedactVideo(engine, flags.input, output, options);
  if (!summary.ok()) {
    PrintError("eval redact-video", summary.status());
    return kExitFailure;
  }
  nlohmann::json out = {
      {"input", flags.input},
      {"frames", summary->frames},
      {"width", summary->width},
      {"height", summary->height},
      {"verify_rounds", flags.redaction.verify_rounds},
      {"look_back", flags.video.look_back},
      {"large_face_opinion", flags.redaction.large_face_opinion},
      {"verify_threshold", flags.redaction.verify_threshold},
      {"verification_regions", summary->verify_regions},
      {"residual_faces_reported", summary->residual_faces},
      {"frames_with_residual_faces_reported", summary->frames_with_residual},
      {"frames_per_second",
       summary->seconds > 0 ? Round(static_cast<double>(summary->frames) / summary->seconds, 100)
                            : 0.0}};
  int64_t regions = 0;
  int max_per_frame = 0;
  for (int n : summary->faces_per_frame) {
    regions += n;
    max_per_frame = std::max(max_per_frame, n);
  }
  const double per_frame =
      summary->frames > 0 ? static_cast<double>(regions) / static_cast<double>(summary->frames) : 0;
  out["regions_redacted"] = regions;
  // Precision: the clips have no face annotations, so what is measured is how many regions a
  // frame gets (a crowd of 5-10 people should get about as many) and how much of the picture
  // they take (all of it, faces included: an upper bound on what was taken that was no face).
  out["regions_per_frame"] = {{"mean", Round(per_frame, 100)}, {"max", max_per_frame}};
  out["redacted_share_of_frame"] = RedactedShareJson(summary->redacted_share_per_frame);
  std::vector<DetectorMode> modes = {DetectorMode::kFast};
  if (!flags.skip_recall) modes.push_back(DetectorMode::kRecall);
  Status status;
  for (const auto& [name, path] :
       {std::pair<std::string, std::string>{"redacted", output}, {"original", flags.input}}) {
    if (name == "original" && flags.skip_original) continue;
    for (DetectorMode mode : modes) {
      auto scan = ScanVideo(engine, path, mode, flags.workers);
      if (!scan.ok()) {
        status = scan.status();
        break;
      }
      out["detections_at_0.5"][name][DetectorModeName(mode)] = scan->Json();
    }
    if (!status.ok()) break;
  }
  if (flags.output.empty()) {
    std::error_code ec;
    fs::remove(output, ec);
  }
  if (!status.ok()) {
    PrintError("eval redact-video", status);
    return kExitFailure;
  }
  if (flags.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf(
      "%s: %lld frames %dx%d redacted at %.1f frames/s, %lld regions (%.2f per frame, at most "
      "%d; %.2f %% of the picture on average, at most %.2f %%; %lld added by %d verification "
      "rounds at %.2f, %lld detections reported left)\n",
      flags.input.c_str(), static_cast<long long>(summary->frames), summary->width, summary->height,
      out["frames_per_second"].get<double>(), static_cast<long long>(regions), per_frame,
      max_per_frame, 100 * out["redacted_share_of_frame"]["mean"].get<double>(),
      100 * out["redacted_share_of_frame"]["max"].get<double>(),
      static_cast<long long>(summary->verify_regions), flags.redaction.verify_rounds,
      flags.redaction.verify_threshold, static_cast<long long>(summary->residual_faces));
  for (const auto& [name, by_mode] : out["detections_at_0.5"].items()) {
    for (const auto& [mode, scan] : by_mode.items()) {
      std::printf(
          "  %s, detector %s mode at 0.5: %lld detections in %lld of %lld frames (max score "
          "%.3f)\n",
          name.c_str(), mode.c_str(), scan["detections"].get<long long>(),
          scan["frames_with_a_detection"].get<long long>(), scan["frames"].get<long long>(),
          scan["max_score"].get<double>());
    }
  }
  return kExitOk;
}

}  // namespace

EvalSubcommand RegisterEvalRedactVideo(CLI::App* eval) {
  auto flags = std::make_shared<EvalRedactVideoFlags>();
  CLI::App* cmd = eval->add_subcommand(
      "redact-video",
      "redact a video as facet redact does, then count what the detector still finds in the "
      "written file (fast and recall mode, 0.5), against the original");
  cmd->add_option("--input", flags->input, "the video to redact")->required();
  cmd->add_option("--output", flags->output, "keep the redacted video here (default: removed)");
  AddRedactionFlags(cmd, &flags->redaction);
  AddVideoRedactionFlags(cmd, &flags->video);
  cmd->add_flag("--skip-original", flags->skip_original, "do not scan the original");
  cmd->add_flag("--skip-recall", flags->skip_recall, "scan in fast mode only");
  cmd->add_option("--workers", flags->workers, "threads, one Session each (default 2)");
  cmd->add_flag("--json", flags->json, "print JSON");
  AddEngineFlags(cmd, &flags->engine);
  return {cmd, [flags] {
            if (!CheckWorkers(flags->workers)) return kExitUsage;
            return RunEvalRedactVideo(*flags);
          }};
}

}  // namespace facet::cli
