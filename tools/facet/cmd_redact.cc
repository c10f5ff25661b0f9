// facet redact IN OUT: make every face in a photo, a folder of photos or a video unrecognisable
// (with --keep GALLERY: every face but those identified in the gallery; redact_keep.h).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "facet/redact.h"
#include "redact_flags.h"
#include "redact_keep.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

struct RedactFlags {
  std::string input;
  std::string output;
  RedactionFlags redaction;
  VideoRedactionFlags video;
  bool json = false;
  bool no_audio = false;
  int workers = 2;
  std::string preset = VideoRedactOptions{}.x264_preset;
  int crf = VideoRedactOptions{}.crf;
  int keep_confirm = VideoRedactOptions{}.keep_confirm_detections;
  KeepFlags keep;
  EngineFlags engine;
};

// True when the file starts like an image facet decodes (JPEG, PNG, WebP, BMP).
bool LooksLikeImage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> head(64 * 1024);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return !head.empty() && ProbeImage(head).ok();
}

// A hidden name beside `path` with the same extension (SaveImage picks the format by it).
std::string PartialPath(const fs::path& path) {
  return (path.parent_path() / ("." + path.stem().string() + ".facet-partial-" +
                                std::to_string(getpid()) + path.extension().string()))
      .string();
}

nlohmann::json RegionsToJson(const std::vector<RedactedRegion>& regions) {
  nlohmann::json out = nlohmann::json::array();
  for (const RedactedRegion& r : regions) {
    out.push_back({{"box",
                    {Round(r.face.x, 100), Round(r.face.y, 100), Round(r.face.width, 100),
                     Round(r.face.height, 100)}},
                   {"score", Round(r.score, 1e4)},
                   {"kept", r.kept},
                   {"verify_round", r.verify_round}});
  }
  return out;
}

// Redacts one photo into `output` (written under a temporary name, renamed on success).
Result<ImageRedaction> RedactPhotoFile(Session& session, const std::string& input,
                                       const std::string& output, const RedactOptions& options) {
  auto image = LoadImage(input);  // first: input that is not an image is reported as such
  if (!image.ok()) return image.status();
  if (!HasImageExtension(output)) {
    return Status::InvalidArgument(output + ": photos are written as .jpg, .png, .webp or .bmp");
  }
  FACET_RETURN_IF_ERROR(CheckOutputIsNotAnInput(output, {input}));
  RedactOptions photo_options = options;
  photo_options.verify_encoding = ImageFormatForPath(output);  // verify what is written
  auto redaction = RedactImage(session, image.value(), photo_options);
  if (!redaction.ok()) return redaction.status();
  const std::string partial = PartialPath(output);
  Status saved = SaveImage(image.value(), partial);
  std::error_code ec;
  if (saved.ok()) {
    fs::rename(partial, output, ec);
    if (ec) saved = Status::InvalidArgument(output + ": cannot write: " + ec.message());
  }
  if (!saved.ok()) {
    fs::remove(partial, ec);
    return saved;
  }
  return redaction;
}

// RedactPhotoFile with, under --keep, an audited identification run of the photo's own; its
// counts go to *keep_json. The output is removed when the run's audit entry cannot be written.
Result<ImageRedaction> RedactPhotoKeeping(Session& session, const std::string& input,
                                          const std::string& output, RedactOptions options,
                                          KeepGallery* keep, nlohmann::json* keep_json) {
  if (keep == nullptr) return RedactPhotoFile(session, input, output, options);
  std::unique_ptr<KeepRun> run = keep->Start();
  if (!run) return Status::FailedPrecondition("identification refused (see above)");
  options.keep = run->Filter();
  auto redaction = RedactPhotoFile(session, input, output, options);
  const Status finished = run->Finish(redaction.ok());
  *keep_json = run->ToJson();
  if (redaction.ok() && !finished.ok()) {
    std::error_code ec;
    fs::remove(output, ec);
    return finished;
  }
  return redaction;
}

int RunPhoto(const RedactFlags& flags, const RedactOptions& options,
             const std::shared_ptr<const Engine>& engine, KeepGallery* keep) {
  auto session = engine->NewSession();
  if (!session.ok()) {
    PrintError("cannot start a session", session.status());
    return kExitFailure;
  }
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json keep_json;
  auto redaction =
      RedactPhotoKeeping(**session, flags.input, flags.output, options, keep, &keep_json);
  if (!redaction.ok()) {
    PrintError("redact", redaction.status());
    return kExitFailure;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (flags.json) {
    nlohmann::json out{{"input", flags.input},
                       {"output", flags.output},
                       {"faces_redacted", redaction->faces_redacted},
                       {"residual_faces", redaction->residual_faces},
                       {"redacted_share", Round(redaction->redacted_share)},
                       {"regions", RegionsToJson(redaction->regions)},
                       {"seconds", Round(seconds, 1000)}};
    if (keep != nullptr) out["keep"] = keep_json;
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("%s: %d face%s redacted, %.2f %% of the picture -> %s (%.2f s)\n",
                flags.input.c_str(), redaction->faces_redacted,
                redaction->faces_redacted == 1 ? "" : "s", 100 * redaction->redacted_share,
                flags.output.c_str(), seconds);
  }
  return kExitOk;
}

int RunFolder(const RedactFlags& flags, const RedactOptions& options,
              const std::shared_ptr<const Engine>& engine, KeepGallery* keep) {
  std::vector<fs::path> photos;
  std::error_code ec;
  // Paths are handled lexically: a photo that is a symbolic link is read through it, and its
  // output goes to the same relative place under OUT, never to where the link points.
  const fs::path input_root = fs::absolute(flags.input, ec).lexically_normal();
  const fs::path output_root = fs::absolute(flags.output, ec).lexically_normal();
  const fs::path input_real = fs::weakly_canonical(input_root, ec);
  const fs::path output_real = fs::weakly_canonical(output_root, ec);
  auto inside = [](const fs::path& path, const fs::path& root) {
    const fs::path rel = path.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
  };
  if (inside(output_real, input_real) || inside(input_real, output_real)) {
    PrintError("redact",
               Status::InvalidArgument(flags.output + ": the output folder must not be inside the "
                                                      "input folder, nor contain it"));
    return kExitFailure;
  }
  for (auto it = fs::recursive_directory_iterator(input_root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && HasImageExtension(it->path().string())) {
      photos.push_back(it->path());
    }
  }
  if (ec) {
    PrintError("redact", Status::InvalidArgument(flags.input + ": cannot list: " + ec.message()));
    return kExitFailure;
  }
  std::sort(photos.begin(), photos.end());
  if (fs::exists(flags.output, ec) && !fs::is_directory(flags.output, ec)) {
    PrintError("redact", Status::InvalidArgument(
                             flags.output + ": the input is a folder, so the output must be one"));
    return kExitFailure;
  }
  std::vector<std::string> outputs(photos.size());
  std::vector<Result<ImageRedaction>> results(photos.size(), Status::Internal("not run"));
  std::vector<nlohmann::json> keep_json(photos.size());
  const auto start = std::chrono::steady_clock::now();
  CatchInterrupts();  // Ctrl-C: the photos being written are finished, the others left alone
  const Status status = ForEachParallel(
      engine, photos.size(), flags.workers, "redact", [&](Session& session, size_t i) {
        const fs::path out = output_root / photos[i].lexically_relative(input_root);
        outputs[i] = out.string();
        if (InterruptRequested()) {
          results[i] = Status::Cancelled("interrupted before this photo; not written");
          return;
        }
        std::error_code dir_ec;
        fs::create_directories(out.parent_path(), dir_ec);
        results[i] = RedactPhotoKeeping(session, photos[i].string(), outputs[i], options, keep,
                                        &keep_json[i]);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    PrintError("cannot start a session", status);
    return kExitFailure;
  }
  int failed = 0, faces = 0;
  nlohmann::json images = nlohmann::json::array();
  for (size_t i = 0; i < photos.size(); ++i) {
    nlohmann::json entry = {{"input", photos[i].string()}, {"output", outputs[i]}};
    if (!results[i].ok()) {
      ++failed;
      PrintError(photos[i].string(), results[i].status());
      entry["error"] = ErrorToJson(results[i].status());
    } else {
      faces += results[i]->faces_redacted;
      entry["faces_redacted"] = results[i]->faces_redacted;
      entry["residual_faces"] = results[i]->residual_faces;
      entry["redacted_share"] = Round(results[i]->redacted_share);
      entry["regions"] = RegionsToJson(results[i]->regions);
    }
    if (keep != nullptr) entry["keep"] = keep_json[i];
    images.push_back(entry);
  }
  if (flags.json) {
    std::cout << nlohmann::json{{"input", flags.input},    {"output", flags.output},
                                {"photos", photos.size()}, {"failed", failed},
                                {"faces_redacted", faces}, {"seconds", Round(seconds, 1000)},
                                {"images", images}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("%zu photo%s, %d face%s redacted, %d failed -> %s (%.1f s)\n", photos.size(),
                photos.size() == 1 ? "" : "s", faces, faces == 1 ? "" : "s", failed,
                flags.output.c_str(), seconds);
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

// The video options the flags give (the keep filter is set by RunVideo).
VideoRedactOptions VideoOptionsFromFlags(const RedactFlags& flags, const RedactOptions& options) {
  VideoRedactOptions video;
  video.redact = options;
  video.threads = flags.workers;
  ApplyVideoRedactionFlags(flags.video, &video);
  video.keep_audio = !flags.no_audio;
  video.x264_preset = flags.preset;
  video.crf = flags.crf;
  video.keep_confirm_detections = flags.keep_confirm;
  return video;
}

int RunVideo(const RedactFlags& flags, const RedactOptions& options,
             const std::shared_ptr<const Engine>& engine, KeepGallery* keep) {
  VideoRedactOptions video = VideoOptionsFromFlags(flags, options);
  std::unique_ptr<KeepRun> keep_run;
  if (keep != nullptr) {
    keep_run = keep->Start();
    if (!keep_run) return kExitFailure;
    video.redact.keep = keep_run->Filter();
  }
  std::unique_ptr<Progress> progress;
  int64_t done = 0;
  video.progress = [&](const VideoProgress& p) {
    if (!progress)
      progress = std::make_unique<Progress>(
          "redact", static_cast<size_t>(std::max<int64_t>(0, p.frames_total)));
    progress->Advance(static_cast<size_t>(p.frames_done - done));
    done = p.frames_done;
  };
  CatchInterrupts();
  video.cancelled = InterruptRequested;
  auto summary = RedactVideo(engine, flags.input, flags.output, video);
  progress.reset();
  if (keep_run) {
    // The run's audit entry, written whether the redaction succeeded or not; without it, the
    // output does not stay.
    const Status finished = keep_run->Finish(summary.ok());
    if (summary.ok() && !finished.ok()) {
      std::error_code ec;
      fs::remove(flags.output, ec);
      summary = finished;
    }
  }
  if (!summary.ok()) {
    PrintError("redact", summary.status());
    return kExitFailure;
  }
  const VideoRedactSummary& s = summary.value();
  int64_t total = 0;
  int most = 0;
  for (int n : s.faces_per_frame) {
    total += n;
    most = std::max(most, n);
  }
  const double fps = s.seconds > 0 ? static_cast<double>(s.frames) / s.seconds : 0;
  const double per_frame_ms = s.frames > 0 ? 1000.0 / static_cast<double>(s.frames) : 0;
  if (flags.json) {
    nlohmann::json out{{"input", flags.input},
                       {"output", flags.output},
                       {"frames", s.frames},
                       {"width", s.width},
                       {"height", s.height},
                       {"frame_rate", Round(s.frame_rate, 1000)},
                       {"input_codec", s.input_codec},
                       {"faces_redacted_per_frame", s.faces_per_frame},
                       {"faces_redacted_total", total},
                       {"max_faces_in_a_frame", most},
                       {"redacted_share_of_frame", RedactedShareJson(s.redacted_share_per_frame)},
                       {"tracks", s.tracks},
                       {"look_back_frames", s.look_back_frames},
                       {"verification_regions", s.verify_regions},
                       {"residual_faces", s.residual_faces},
                       {"frames_with_residual_faces", s.frames_with_residual},
                       {"copied_streams", s.copied_streams},
                       {"dropped_streams", s.dropped_streams},
                       {"decode_errors", s.decode_errors},
                       {"damaged_frames", s.damaged_frames},
                       {"input_video_packets", s.input_video_packets},
                       {"seconds", Round(s.seconds, 1000)},
                       {"frames_per_second", Round(fps, 100)},
                       {"cpu_ms_per_frame",
                        {{"decode", Round(s.cpu_decode_seconds * per_frame_ms, 100)},
                         {"detect", Round(s.cpu_detect_seconds * per_frame_ms, 100)},
                         {"track_draw", Round(s.cpu_track_seconds * per_frame_ms, 100)},
                         {"verify", Round(s.cpu_verify_seconds * per_frame_ms, 100)},
                         {"encode", Round(s.cpu_encode_seconds * per_frame_ms, 100)},
                         {"total", Round(s.cpu_total_seconds * per_frame_ms, 100)}}}};
    if (keep_run) out["keep"] = keep_run->ToJson();
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf(
        "%s: %lld frames %dx%d @ %.3f fps, %lld face regions redacted (%lld tracks, at most "
        "%d in a frame; %lld added by verification; %.2f %% of the picture on average) -> %s in "
        "%.1f s (%.1f frames/s)\n",
        flags.input.c_str(), static_cast<long long>(s.frames), s.width, s.height, s.frame_rate,
        static_cast<long long>(total), static_cast<long long>(s.tracks), most,
        static_cast<long long>(s.verify_regions),
        100 * RedactedShareJson(s.redacted_share_per_frame)["mean"].get<double>(),
        flags.output.c_str(), s.seconds, fps);
    for (const std::string& d : s.dropped_streams) std::printf("  dropped stream: %s\n", d.c_str());
  }
  if (s.decode_errors > 0 || s.damaged_frames > 0) {
    // The input is damaged: say what that cost, since the output cannot show it.
    std::string warning =
        flags.input + " is damaged: the decoder rejected " + std::to_string(s.decode_errors) +
        " of its " + std::to_string(s.input_video_packets) +
        " video packets and concealed errors in " + std::to_string(s.damaged_frames) +
        " frame(s); the output has " + std::to_string(s.frames) + " frames";
    if (s.decode_errors > 0 && s.input_video_packets > s.frames) {
      warning += " (" + std::to_string(s.input_video_packets - s.frames) + " lost)";
    }
    std::fprintf(stderr, "facet: redact: warning: %s\n", warning.c_str());
  }
  return kExitOk;
}

int RunRedact(RedactFlags& flags) {
  auto options = RedactOptionsFromFlags(flags.redaction);
  if (!options.ok()) {
    PrintError("redact", options.status());
    return kExitUsage;
  }
  if (!CheckWorkers(flags.workers)) return kExitUsage;
  // The video flags too, whatever the input: a bad value is a usage error before any work.
  if (Status video = ValidateRedactOptions(VideoOptionsFromFlags(flags, options.value()));
      !video.ok()) {
    PrintError("redact", video);
    return kExitUsage;
  }
  std::error_code ec;
  if (!fs::exists(flags.input, ec)) {
    PrintError("redact", Status::NotFound(flags.input + ": no such file or folder"));
    return kExitFailure;
  }
  // A FIFO or a device would block or never end: photos, videos and folders only.
  const bool input_is_folder = fs::is_directory(flags.input, ec);
  if (!input_is_folder && !fs::is_regular_file(flags.input, ec)) {
    PrintError("redact", Status::InvalidArgument(flags.input + ": not a regular file or folder"));
    return kExitFailure;
  }
  // A photo or video is written into an existing folder: said now, not after the work.
  const fs::path output_folder = fs::path(flags.output).parent_path();
  if (!input_is_folder && !output_folder.empty() && !fs::is_directory(output_folder, ec)) {
    PrintError("redact", Status::NotFound(flags.output + ": the folder " + output_folder.string() +
                                          " does not exist"));
    return kExitFailure;
  }
  if (flags.keep.gallery.empty() && !flags.keep.purpose.empty()) {
    PrintError("--purpose", Status::InvalidArgument("only with --keep"));
    return kExitUsage;
  }
  if (!flags.keep.gallery.empty() && flags.keep.purpose.empty()) {
    PrintError("--keep", Status::InvalidArgument("needs --purpose: why faces are identified "
                                                 "(written to the audit log)"));
    return kExitUsage;
  }
  if (flags.engine.threads == 0) flags.engine.threads = 1;  // parallel over frames/photos instead
  std::unique_ptr<KeepGallery> keep;
  if (!flags.keep.gallery.empty()) {
    int exit_code = kExitFailure;
    keep = KeepGallery::Open(flags.keep, &flags.engine, &exit_code);
    if (!keep) return exit_code;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  if (fs::is_directory(flags.input, ec)) return RunFolder(flags, options.value(), engine, keep.get());
  // The input's content decides: an image is a photo whatever its name. Input that is not an
  // image goes to the video path only when nothing asks for a photo: with a photo's name on
  // either side it is reported as not an image, as `facet detect` does.
  const bool input_is_photo = LooksLikeImage(flags.input) || HasImageExtension(flags.input);
  if (!input_is_photo && HasImageExtension(flags.output)) {
    // Most likely a video given a photo's name to be written to.
    PrintError("redact", Status::InvalidArgument(
                             flags.output + ": a photo's name, but " + flags.input +
                             " is not a photo (a video is written as .mp4, .m4v, .mov or .mkv)"));
    return kExitFailure;
  }
  if (input_is_photo) return RunPhoto(flags, options.value(), engine, keep.get());
  return RunVideo(flags, options.value(), engine, keep.get());
}

}  // namespace

Action RegisterRedact(CLI::App& app) {
  auto flags = std::make_shared<RedactFlags>();
  CLI::App* cmd = app.add_subcommand(
      "redact", "make every face in a photo, a folder of photos or a video unrecognisable");
  cmd->add_option("input", flags->input, "a photo, a folder of photos, or a video")->required();
  cmd->add_option("output", flags->output,
                  "where to write: a photo (.jpg/.png/...), a folder, or a video (.mp4/.mov/.mkv)")
      ->required();
  AddRedactionFlags(cmd, &flags->redaction);
  cmd->add_flag("--json", flags->json, "print a JSON summary");
  cmd->add_flag("--no-audio", flags->no_audio, "video: drop the audio streams");
  cmd->add_option(
      "--workers", flags->workers,
      "photos: parallel photos; video: detection threads and as many verification threads, one "
      "Session each (default 2)");
  AddVideoRedactionFlags(cmd, &flags->video);
  cmd->add_option("--preset", flags->preset, "video: libx264 preset (default ultrafast)");
  cmd->add_option("--crf", flags->crf, "video: libx264 constant rate factor, 0..51 (default 20)");
  cmd->add_option("--keep-confirm", flags->keep_confirm,
                  "video with --keep: detections in a row identified as one person before a "
                  "face is left visible (default 3)");
  AddKeepFlags(cmd, &flags->keep);
  AddEngineFlags(cmd, &flags->engine);
  CLI::Option* model = cmd->get_option("--model");
  return [flags, model] {
    flags->keep.model_given = model->count() > 0;
    return RunRedact(*flags);
  };
}

}  // namespace facet::cli
