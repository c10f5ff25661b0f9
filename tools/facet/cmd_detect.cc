#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "facet/annotate.h"

namespace facet::cli {
namespace {

struct DetectFlags {
  std::vector<std::string> images;
  std::string mode = "fast";
  float threshold = 0.5f;
  float min_face = 0;
  bool json = false;
  std::string draw;
  EngineFlags engine;
};

// OUT.png for one image; OUT-<index>.png for several.
std::string DrawPath(const std::string& draw, size_t index, size_t count) {
  if (count <= 1) return draw;
  std::filesystem::path p(draw);
  return (p.parent_path() / (p.stem().string() + "-" + std::to_string(index) + p.extension().string()))
      .string();
}

int RunDetect(const DetectFlags& flags) {
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  auto session = engine->NewSession();
  if (!session.ok()) {
    PrintError("cannot start a session", session.status());
    return kExitFailure;
  }
  DetectOptions options;
  options.mode = mode.value();
  options.score_threshold = flags.threshold;
  options.min_face_size = flags.min_face;
  int exit_code = kExitOk;
  nlohmann::json results = nlohmann::json::array();
  Progress progress("detect", flags.images.size());
  for (size_t i = 0; i < flags.images.size(); ++i) {
    const std::string& path = flags.images[i];
    nlohmann::json entry = {{"image", path}};
    auto image = LoadImage(path);
    Result<std::vector<Face>> faces =
        image.ok() ? (*session)->Detect(image.value(), options) : Result<std::vector<Face>>(image.status());
    progress.Advance();
    if (!faces.ok()) {
      exit_code = kExitFailure;
      PrintError(path, faces.status());
      entry["error"] = ErrorToJson(faces.status());
      results.push_back(entry);
      continue;
    }
    entry["width"] = image->width();
    entry["height"] = image->height();
    entry["faces"] = nlohmann::json::array();
    for (const Face& face : faces.value()) entry["faces"].push_back(FaceToJson(face));
    if (!flags.json) {
      std::printf("%s: %zu face%s\n", path.c_str(), faces->size(), faces->size() == 1 ? "" : "s");
      for (const Face& f : faces.value()) {
        std::printf("  box [%.0f, %.0f, %.0f, %.0f]  score %.3f  quality %s\n", f.box.x, f.box.y,
                    f.box.width, f.box.height, f.score, QualityLevelName(f.quality.level));
      }
    }
    if (!flags.draw.empty()) {
      const std::string out = DrawPath(flags.draw, i, flags.images.size());
      Status saved = SaveImage(AnnotateFaces(image.value(), faces.value()), out);
      if (!saved.ok()) {
        PrintError(out, saved);
        exit_code = kExitFailure;
      } else if (!flags.json) {
        std::printf("  annotated image written to %s\n", out.c_str());
      }
    }
    results.push_back(entry);
  }
  if (flags.json) std::cout << results.dump(2) << "\n";
  return exit_code;
}

}  // namespace

Action RegisterDetect(CLI::App& app) {
  auto flags = std::make_shared<DetectFlags>();
  CLI::App* cmd = app.add_subcommand("detect", "detect faces, landmarks and quality in images");
  cmd->add_option("images", flags->images, "image files (JPEG, PNG, WebP, BMP)")->required();
  cmd->add_option("--detector-mode", flags->mode, "fast (one pass, default) or recall (tiles)");
  cmd->add_option("--threshold", flags->threshold, "detector score threshold (default 0.5)");
  cmd->add_option("--min-face", flags->min_face, "drop faces smaller than this many pixels");
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->add_option("--draw", flags->draw, "write an annotated copy of the image here (.png/.jpg)");
  AddEngineFlags(cmd, &flags->engine);
  return [flags] { return RunDetect(*flags); };
}

}  // namespace facet::cli
