// `facet models add MANIFEST` and `facet models calibrate NAME --data LFW_DIR`: bring your own
// ONNX recognizer or detector (docs/models.md, "Adding an ArcFace ONNX you have", "Adding a
// detector you have").
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "eval/pairs.h"
#include "facet/models.h"
#include "lfw_calibration.h"

namespace facet::cli {
namespace {

namespace fs = std::filesystem;

// Fewest cross-identity pairs for an FMR-1e-4 threshold that at least five of them exceed.
constexpr long long kMinImpostorPairs = 50000;
constexpr long long kMinGenuinePairs = 100;

struct AddFlags {
  std::string manifest;
  std::string model_dir;
  bool replace = false;
  bool json = false;
  std::string test_image;  // detectors: the test run's photo (default: the pinned sample1.jpg)
};

struct CalibrateFlags {
  std::string name;
  std::string data;
  int workers = 2;
  bool json = false;
  EngineFlags engine;
};

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += (i ? "x" : "") + (dims[i] < 0 ? std::string("N") : std::to_string(dims[i]));
  }
  return s + "]";
}

int RunAddDetector(const AddFlags& flags, const std::string& dir) {
  auto added = RegisterDetector(flags.manifest, dir,
                                {.replace = flags.replace, .test_image = flags.test_image});
  if (!added.ok()) {
    PrintError("models add " + flags.manifest, added.status());
    return kExitFailure;
  }
  const RegisteredDetector& r = added.value();
  if (flags.json) {
    nlohmann::json out = {{"name", r.name},
                          {"kind", "detector"},
                          {"version", r.version},
                          {"registration", r.registration},
                          {"input", r.input_dims},
                          {"score_threshold", r.score_threshold},
                          {"test_image", r.test_image},
                          {"test_faces", r.test_faces},
                          {"test_faces_confirmed", r.test_faces_confirmed},
                          {"best_score", r.best_score},
                          {"backend_iou", r.backend_iou}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf(
      "registered detector '%s' (%s) in %s\n  input %s; the test run found %d face(s) in %s "
      "(%d taken for faces by O-Net) at score %.2f (best %.3f), XNNPACK and OpenCV boxes agree "
      "(IoU >= %.3f)\n  use it with --detector %s\n",
      r.name.c_str(), r.version.c_str(), r.registration.c_str(), DimsText(r.input_dims).c_str(),
      r.test_faces, r.test_image.c_str(), r.test_faces_confirmed,
      static_cast<double>(r.score_threshold), static_cast<double>(r.best_score),
      static_cast<double>(r.backend_iou), r.name.c_str());
  return kExitOk;
}

int RunAdd(const AddFlags& flags) {
  const std::string dir = ResolveModelDir(flags.model_dir);
  auto kind = ReadManifestKind(flags.manifest);
  if (kind.ok() && kind.value() == "detector") return RunAddDetector(flags, dir);
  if (!flags.test_image.empty()) {
    PrintError("--test-image", Status::InvalidArgument("only a detector's manifest takes it"));
    return kExitUsage;
  }
  auto added = RegisterRecognizer(flags.manifest, dir, {.replace = flags.replace});
  if (!added.ok()) {
    PrintError("models add " + flags.manifest, added.status());
    return kExitFailure;
  }
  const RegisteredRecognizer& r = added.value();
  if (flags.json) {
    nlohmann::json out = {{"name", r.name},
                          {"version", r.version},
                          {"registration", r.registration},
                          {"input", r.input_dims},
                          {"output", r.output_dims},
                          {"dimensions", r.dimensions},
                          {"backend_difference", r.backend_difference},
                          {"calibrated", r.calibrated}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf(
      "registered '%s' (%s) in %s\n  input %s, output %s (%d-D); XNNPACK and OpenCV agree "
      "within %.1e on the test crops\n",
      r.name.c_str(), r.version.c_str(), r.registration.c_str(), DimsText(r.input_dims).c_str(),
      DimsText(r.output_dims).c_str(), r.dimensions, static_cast<double>(r.backend_difference));
  if (r.calibrated) {
    std::printf("  thresholds (from the manifest): FMR 1e-3 %.4f, FMR 1e-4 %.4f\n",
                static_cast<double>(r.threshold_fmr_1e3), static_cast<double>(r.threshold_fmr_1e4));
  } else {
    std::printf(
        "  no thresholds yet: `facet eval lfw --model %s` works now; compare, verify, "
        "identify, cluster and serve need `facet models calibrate %s --data LFW_DIR` first\n",
        r.name.c_str(), r.name.c_str());
  }
  return kExitOk;
}

int RunCalibrate(CalibrateFlags flags) {
  if (!CheckWorkers(flags.workers)) return kExitUsage;
  const std::string dir = ResolveModelDir(flags.engine.model_dir);
  Status registered = CheckRegisteredRecognizer(dir, flags.name);
  if (!registered.ok()) {
    PrintError("models calibrate", registered.code() == StatusCode::kNotFound
                                       ? Status::NotFound("'" + flags.name +
                                                          "' is not a model "
                                                          "registered in " +
                                                          dir +
                                                          " (built-in models keep their own "
                                                          "thresholds; `facet models`)")
                                       : registered);
    return kExitFailure;
  }
  auto text = eval::ReadTextFile((fs::path(flags.data) / "pairs.txt").string());
  if (!text.ok()) {
    PrintError("models calibrate", text.status());
    return kExitFailure;
  }
  auto pairs = eval::ParseLfwPairs(text.value());
  if (!pairs.ok()) {
    PrintError("models calibrate", pairs.status());
    return kExitFailure;
  }
  flags.engine.model_dir = dir;
  flags.engine.recognizer = flags.name;
  flags.engine.needs_thresholds = false;
  if (flags.engine.threads == 0) flags.engine.threads = 1;  // parallel over images instead
  auto engine = CreateEngineOrPrint(flags.engine);
  if (!engine) return kExitFailure;
  const fs::path root = fs::path(flags.data) / "images";
  std::vector<std::string> paths;
  for (const eval::LabeledPair& p : pairs.value()) {
    paths.push_back((root / p.path_a).string());
    paths.push_back((root / p.path_b).string());
  }
  BatchOptions options;
  options.threads = flags.workers;
  options.pick = FacePick::kNearestCentre;  // as `facet eval lfw`
  options.detect.compute_quality = false;
  options.progress_label = "calibrate";
  const FolderCalibration calibration = CalibrateByFolder(EmbedDistinct(engine, paths, options));
  const eval::CalibrationResult& r = calibration.result;
  if (r.impostor_pairs < kMinImpostorPairs || r.genuine_pairs < kMinGenuinePairs ||
      r.points.size() != 2) {
    PrintError("models calibrate",
               Status::FailedPrecondition(
                   "too few images to calibrate: " + std::to_string(r.genuine_pairs) +
                   " same-person and " + std::to_string(r.impostor_pairs) +
                   " different-person pairs; at least " + std::to_string(kMinGenuinePairs) +
                   " and " + std::to_string(kMinImpostorPairs) +
                   " are needed (LFW's pair images "
                   "give about 10,000 and 29.6 million)"));
    return kExitFailure;
  }
  Status written =
      SetRecognizerThresholds(dir, flags.name, static_cast<float>(r.points[0].threshold),
                              static_cast<float>(r.points[1].threshold));
  if (!written.ok()) {
    PrintError("models calibrate", written);
    return kExitFailure;
  }
  nlohmann::json out = CalibrationToJson(calibration);
  out["model"] = flags.name;
  if (flags.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf(
        "calibrated '%s' over %zu images (%lld same-person, %lld different-person pairs): "
        "FMR 1e-3 -> %.4f (FNMR %.2f%%), FMR 1e-4 -> %.4f (FNMR %.2f%%); written to %s\n",
        flags.name.c_str(), calibration.images, r.genuine_pairs, r.impostor_pairs,
        r.points[0].threshold, 100 * r.points[0].fnmr, r.points[1].threshold,
        100 * r.points[1].fnmr, RegistrationPath(dir, flags.name).c_str());
  }
  return kExitOk;
}

}  // namespace

Subcommand RegisterModelsAdd(CLI::App* models) {
  auto flags = std::make_shared<AddFlags>();
  CLI::App* cmd = models->add_subcommand(
      "add",
      "register an ONNX face recognizer or detector facet does not ship, from a manifest "
      "(JSON; docs/models.md): checked (shapes, a test run on both backends) before it is "
      "copied into MODEL_DIR/registered/");
  cmd->add_option("manifest", flags->manifest, "the manifest (JSON)")->required();
  cmd->add_option("--models", flags->model_dir,
                  "model directory (default: $FACET_MODEL_DIR or the build's models/)");
  cmd->add_flag("--replace", flags->replace, "replace a registration of the same name");
  cmd->add_option("--test-image", flags->test_image,
                  "detectors: a photo with a face for the test run (default: "
                  "MODEL_DIR/src/@vladmandic/face-api@1.7.15/demo/sample1.jpg, which "
                  "scripts/models.sh fetches)");
  cmd->add_flag("--json", flags->json, "JSON output");
  return {cmd, [flags] { return RunAdd(*flags); }};
}

Subcommand RegisterModelsCalibrate(CLI::App* models) {
  auto flags = std::make_shared<CalibrateFlags>();
  CLI::App* cmd = models->add_subcommand(
      "calibrate",
      "calibrate a registered recognizer's FMR 1e-3/1e-4 thresholds over every "
      "cross-identity pair of the LFW pair images (as `facet eval lfw --calibrate`) "
      "and write them into its registration");
  cmd->add_option("name", flags->name, "the registered model")->required();
  cmd->add_option("--data", flags->data, "LFW folder with pairs.txt and images/")->required();
  cmd->add_option("--workers", flags->workers, "parallel workers, one Session each (default 2)");
  cmd->add_flag("--json", flags->json, "JSON output");
  cmd->add_option("--models", flags->engine.model_dir,
                  "model directory (default: $FACET_MODEL_DIR or the build's models/)");
  cmd->add_option("--detector", flags->engine.detector,
                  "face detector (built-in or registered; default retinaface)");
  cmd->add_option("--backend", flags->engine.backend, "inference backend (default xnnpack)")
      ->check(CLI::IsMember(BackendNames()));
  return {cmd, [flags] { return RunCalibrate(*flags); }};
}

}  // namespace facet::cli
