// The public face of embed/registry.h (facet/models.h).
#include "facet/models.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "crypto/crypto.h"
#include "embed/detector_manifest.h"
#include "embed/registry.h"
#include "engine/detector_registry.h"
#include "facet/engine.h"

namespace facet {

Result<RegisteredRecognizer> RegisterRecognizer(const std::string& manifest_path,
                                                const std::string& model_dir,
                                                const RegisterOptions& options) {
  auto spec = embed::RegisterRecognizer(manifest_path, model_dir, {.replace = options.replace});
  if (!spec.ok()) return spec.status();
  // Reported from the registration just written: the copy is checked again.
  const std::string onnx = (std::filesystem::path(model_dir) / spec->model_file).string();
  auto check = embed::CheckRecognizerModel(spec.value(), onnx);
  if (!check.ok()) return check.status();
  RegisteredRecognizer out;
  out.name = spec->name;
  out.version = spec->version;
  out.registration = RegistrationPath(model_dir, spec->name);
  out.input_dims = check->input_dims;
  out.output_dims = check->output_dims;
  out.dimensions = spec->dimensions;
  out.backend_difference = check->backend_difference;
  out.calibrated = spec->calibrated();
  out.threshold_fmr_1e3 = spec->threshold_fmr_1e3;
  out.threshold_fmr_1e4 = spec->threshold_fmr_1e4;
  return out;
}

Status CheckRegisteredRecognizer(const std::string& model_dir, const std::string& name) {
  auto registration = embed::ReadRegistration(model_dir, name);
  return registration.ok() ? Status::Ok() : registration.status();
}

Status SetRecognizerThresholds(const std::string& model_dir, const std::string& name,
                               float threshold_fmr_1e3, float threshold_fmr_1e4) {
  return embed::SetRegisteredThresholds(model_dir, name, {threshold_fmr_1e3, threshold_fmr_1e4});
}

Result<std::string> ReadManifestKind(const std::string& manifest_path) {
  auto bytes = embed::ReadModelFile(manifest_path);
  if (!bytes.ok()) return bytes.status();
  auto kind = embed::ManifestKind(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!kind.ok())
    return Status(kind.status().code(), manifest_path + ": " + kind.status().message());
  return kind;
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<RegisteredDetector> RegisterDetector(const std::string& manifest_path,
                                            const std::string& model_dir,
                                            const RegisterDetectorOptions& options) {
  namespace fs = std::filesystem;
  auto text = embed::ReadModelFile(manifest_path);
  if (!text.ok()) return text.status();
  auto parsed = embed::ParseDetectorManifest(
      std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  if (!parsed.ok()) {
    return Status(parsed.status().code(), manifest_path + ": " + parsed.status().message());
  }
  embed::DetectorManifest m = std::move(parsed).value();
  std::vector<std::string> builtin = DetectorNames();
  for (const std::string& n : RecognizerNames()) builtin.push_back(n);
  if (std::find(builtin.begin(), builtin.end(), Lower(m.name)) != builtin.end()) {
    return Status::InvalidArgument("'" + m.name +
                                   "' is the name of a built-in model; choose another name");
  }
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) {
    return Status::NotFound(model_dir + ": model directory not found");
  }
  const fs::path dir = embed::RegisteredDir(model_dir);
  const fs::path json_path = dir / (m.name + ".json");
  if (!options.replace && fs::exists(json_path, ec)) {
    return Status::InvalidArgument("'" + m.name + "' is already registered (" + json_path.string() +
                                   "); --replace to register it again");
  }
  fs::path onnx = m.onnx;
  if (onnx.is_relative()) onnx = fs::path(manifest_path).parent_path() / onnx;
  auto bytes = embed::ReadModelFile(onnx.string());
  if (!bytes.ok()) return bytes.status();
  const std::string sha = crypto::Sha256Hex(bytes.value());
  if (!m.sha256.empty() && m.sha256 != sha) {
    return Status::InvalidArgument(onnx.string() + ": sha256 is " + sha + ", the manifest says " +
                                   m.sha256);
  }
  const std::string test_image =
      !options.test_image.empty()
          ? options.test_image
          : (fs::path(model_dir) / "src/@vladmandic/face-api@1.7.15/demo/sample1.jpg").string();
  if (!fs::is_regular_file(test_image, ec)) {
    return Status::NotFound(test_image +
                            ": no test photo (run scripts/models.sh, which fetches it, or give "
                            "a photo with a face: --test-image)");
  }
  auto check = engine::CheckDetectorModel(m, onnx.string(), test_image,
                                          (fs::path(model_dir) / "onet.onnx").string());
  if (!check.ok()) {
    return Status(check.status().code(), onnx.string() + ": " + check.status().message());
  }
  // Every check passed: write the copy, then the manifest (its presence is the registration).
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal(dir.string() + ": cannot create: " + ec.message());
  m.onnx = m.name + ".onnx";
  m.sha256 = sha;
  FACET_RETURN_IF_ERROR(
      embed::WriteFileAtomically((dir / m.onnx).string(), bytes->data(), bytes->size()));
  const std::string manifest_text = embed::DetectorManifestToJson(m);
  FACET_RETURN_IF_ERROR(
      embed::WriteFileAtomically(json_path.string(), manifest_text.data(), manifest_text.size()));
  RegisteredDetector out;
  out.name = m.name;
  out.version = "sha256:" + sha;
  out.registration = json_path.string();
  out.input_dims = check->input_dims;
  out.test_image = test_image;
  out.test_faces = check->faces;
  out.test_faces_confirmed = check->confirmed;
  out.best_score = check->best_score;
  out.backend_iou = check->backend_iou;
  out.score_threshold = m.score_threshold;
  return out;
}

std::string RegistrationPath(const std::string& model_dir, const std::string& name) {
  return (std::filesystem::path(embed::RegisteredDir(model_dir)) / (name + ".json")).string();
}

}  // namespace facet
