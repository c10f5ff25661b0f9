// The public face of embed/registry.h (facet/models.h).
#include "facet/models.h"

#include <filesystem>

#include "embed/registry.h"

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

std::string RegistrationPath(const std::string& model_dir, const std::string& name) {
  return (std::filesystem::path(embed::RegisteredDir(model_dir)) / (name + ".json")).string();
}

}  // namespace facet
