#include <cstdio>
#include <filesystem>
#include <iostream>

#include "batch.h"
#include "cli_common.h"
#include "commands.h"
#include "facet/annotate.h"

namespace facet::cli {
namespace {

struct DetectFlags {
  std::vector<std::string> images;
  std::string mode = "fast";
  float threshold = kRecommendedScoreThreshold;  // the detector's own
  float min_face = 0;
  bool json = false;
  std::string draw;
  int workers = 1;
  EngineFlags engine;
};

// OUT.png for one image; OUT-<index>.png for several.
std::string DrawPath(const std::string& draw, size_t index, size_t count) {
  if (count <= 1) return draw;
  std::filesystem::path p(draw);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(index) + p.extension().string()))
      .string();
}

// Detects the faces of image `index`; fills its JSON entry and text lines; false if it failed.
bool DetectOne(Session& session, const DetectFlags& flags, const DetectOptions& options, size_t index,
               nlohmann::json* entry, std::string* text) {
  const std::string& path = flags.images[index];
  *entry = {{"image", path}};
  auto image = LoadImage(path);
  Result<std::vector<Face>> faces =
      image.ok() ? session.Detect(image.value(), options) : Result<std::vector<Face>>(image.status());
  if (!faces.ok()) {
    PrintError(path, faces.status());
    (*entry)["error"] = ErrorToJson(faces.status());
    return false;
  }
  (*entry)["width"] = image->width();
  (*entry)["height"] = image->height();
  (*entry)["faces"] = nlohmann::json::array();
  for (Face& face : faces.value()) {
    face.box = ClipBox(face.box, image->width(), image->height());
    (*entry)["faces"].push_back(FaceToJson(face));
  }
  char line[256];
  std::snprintf(line, sizeof(line), "%s: %zu face%s\n", path.c_str(), faces->size(),
                faces->size() == 1 ? "" : "s");
  *text = line;
  for (const Face& f : faces.value()) {
    std::snprintf(line, sizeof(line), "  box [%.0f, %.0f, %.0f, %.0f]  score %.3f  quality %s\n",
                  f.box.x, f.box.y, f.box.width, f.box.height, f.score,
                  QualityLevelName(f.quality.level));
    *text += line;
  }
  if (!flags.draw.empty()) {
    const std::string out = DrawPath(flags.draw, index, flags.images.size());
    Status saved = SaveImage(AnnotateFaces(image.value(), faces.value()), out);
    if (!saved.ok()) {
      PrintError(out, saved);
      return false;
    }
    *text += "  annotated image written to " + out + "\n";
  }
  return true;
}

int RunDetect(const DetectFlags& flags) {
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  if (!CheckWorkers(flags.workers)) return kExitUsage;
  if (!flags.draw.empty()) {
    for (size_t i = 0; i < flags.images.size(); ++i) {
      const Status status =
          CheckOutputIsNotAnInput(DrawPath(flags.draw, i, flags.images.size()), flags.images);
      if (!status.ok()) {
        PrintError("--draw", status);
        return kExitUsage;
      }
    }
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  DetectOptions options;
  options.mode = mode.value();
  options.score_threshold = flags.threshold;
  options.min_face_size = flags.min_face;
  // One Session per worker; results are printed in the order of the arguments.
  const size_t count = flags.images.size();
  std::vector<nlohmann::json> entries(count);
  std::vector<std::string> texts(count);
  std::vector<char> ok(count, 0);
  Status started = ForEachParallel(engine, count, flags.workers, "detect", [&](Session& session, size_t i) {
    ok[i] = DetectOne(session, flags, options, i, &entries[i], &texts[i]) ? 1 : 0;
  });
  if (!started.ok()) {
    PrintError("cannot start a session", started);
    return kExitFailure;
  }
  int exit_code = kExitOk;
  nlohmann::json all = nlohmann::json::array();
  for (size_t i = 0; i < count; ++i) {
    if (ok[i] == 0) exit_code = kExitFailure;
    if (flags.json) {
      all.push_back(std::move(entries[i]));
    } else {
      std::fputs(texts[i].c_str(), stdout);
    }
  }
  if (flags.json) std::cout << all.dump(2) << "\n";
  return exit_code;
}

}  // namespace

Action RegisterDetect(CLI::App& app) {
  auto flags = std::make_shared<DetectFlags>();
  CLI::App* cmd = app.add_subcommand("detect", "detect faces, landmarks and quality in images");
  cmd->add_option("images", flags->images, "image files (JPEG, PNG, WebP, BMP)")->required();
  cmd->add_option("--detector-mode", flags->mode, "fast (one pass, default) or recall (tiles)");
  cmd->add_option("--threshold", flags->threshold, "detector score threshold (default: the detector's recommended one, retinaface 0.75, "
                  "blazeface 0.5)");
  cmd->add_option("--min-face", flags->min_face, "drop faces smaller than this many pixels");
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->add_option("--draw", flags->draw, "write an annotated copy of the image here (.png/.jpg)");
  cmd->add_option("--workers", flags->workers,
                  "images processed in parallel, one Session each (default 1)");
  flags->engine.needs_thresholds = false;  // detection only
  AddEngineFlags(cmd, &flags->engine);
  return [flags] { return RunDetect(*flags); };
}

}  // namespace facet::cli
