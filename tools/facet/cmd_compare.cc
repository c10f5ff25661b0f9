#include <cstdio>
#include <iostream>

#include "cli_common.h"
#include "commands.h"

namespace facet::cli {
namespace {

struct CompareFlags {
  std::string image_a;
  std::string image_b;
  std::string threshold_at = "1e-3";
  bool json = false;
  std::string mode = "fast";
  EngineFlags engine;
};

// Detects the largest face of `path` and embeds it.
Result<std::pair<Face, Embedding>> LargestFaceTemplate(Session& session, const std::string& path,
                                                       DetectorMode mode) {
  auto image = LoadImage(path);
  if (!image.ok()) return image.status();
  DetectOptions options;
  options.mode = mode;
  auto faces = session.Detect(image.value(), options);
  if (!faces.ok()) return faces.status();
  const Face* face = LargestFace(faces.value());
  if (face == nullptr) return Status::NoFace("no face found");
  auto embedding = session.Embed(image.value(), *face);
  if (!embedding.ok()) return embedding.status();
  Face shown = *face;
  shown.box = ClipBox(face->box, image->width(), image->height());
  return std::make_pair(shown, std::move(embedding).value());
}

int RunCompare(const CompareFlags& flags) {
  auto mode = ParseDetectorMode(flags.mode);
  if (!mode.ok()) {
    PrintError("--detector-mode", mode.status());
    return kExitUsage;
  }
  if (flags.threshold_at != "1e-3" && flags.threshold_at != "1e-4") {
    PrintError("--fmr", Status::InvalidArgument("must be 1e-3 or 1e-4"));
    return kExitUsage;
  }
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  auto session = engine->NewSession();
  if (!session.ok()) {
    PrintError("cannot start a session", session.status());
    return kExitFailure;
  }
  auto a = LargestFaceTemplate(**session, flags.image_a, mode.value());
  if (!a.ok()) {
    PrintError(flags.image_a, a.status());
    return kExitFailure;
  }
  auto b = LargestFaceTemplate(**session, flags.image_b, mode.value());
  if (!b.ok()) {
    PrintError(flags.image_b, b.status());
    return kExitFailure;
  }
  auto similarity = CosineSimilarity(a->second, b->second);
  if (!similarity.ok()) {
    PrintError("compare", similarity.status());
    return kExitFailure;
  }
  const RecognizerInfo& info = engine->recognizer();
  const float threshold =
      flags.threshold_at == "1e-3" ? info.threshold_fmr_1e3 : info.threshold_fmr_1e4;
  const bool same = similarity.value() >= threshold;
  const float confidence = SimilarityToConfidence(similarity.value(), info);
  if (flags.json) {
    nlohmann::json out = {{"similarity", similarity.value()},
                          {"threshold", threshold},
                          {"fmr", flags.threshold_at == "1e-3" ? 1e-3 : 1e-4},
                          {"same", same},
                          {"confidence", confidence},
                          {"model", info.name},
                          {"face_a", FaceToJson(a->first)},
                          {"face_b", FaceToJson(b->first)}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("similarity %.4f  threshold %.4f (FMR %s, %s)  confidence %.3f  -> %s\n",
                similarity.value(), threshold, flags.threshold_at.c_str(), info.name.c_str(),
                confidence, same ? "same person" : "different people");
  }
  return kExitOk;
}

}  // namespace

Action RegisterCompare(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "compare the largest face of two images (1:1)");
  cmd->add_option("image_a", flags->image_a, "first image")->required();
  cmd->add_option("image_b", flags->image_b, "second image")->required();
  cmd->add_option("--fmr", flags->threshold_at,
                  "false-match rate the decision threshold is calibrated for: 1e-3 or 1e-4 "
                  "(default 1e-3)");
  cmd->add_option("--detector-mode", flags->mode, "fast (default) or recall");
  cmd->add_flag("--json", flags->json, "print JSON");
  AddEngineFlags(cmd, &flags->engine);
  return [flags] { return RunCompare(*flags); };
}

}  // namespace facet::cli
