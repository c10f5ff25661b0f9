// Recognizers a user registered ("bring your own ONNX model", docs/models.md). A registration is
// self-contained under the model directory:
//
//   MODEL_DIR/registered/NAME.json   the manifest (embed/manifest.h), "onnx": "NAME.onnx", with
//                                    the file's sha256 and, once calibrated, its thresholds
//   MODEL_DIR/registered/NAME.onnx   a copy of the model
//
// A registered recognizer's version is "sha256:<hex>" of its ONNX file, so templates (which carry
// model name and version) of two different files never mix, even under one name.
#ifndef FACET_SRC_EMBED_REGISTRY_H_
#define FACET_SRC_EMBED_REGISTRY_H_

#include <string>
#include <vector>

#include "embed/detector_manifest.h"
#include "embed/manifest.h"
#include "embed/recognizer.h"
#include "facet/status.h"

namespace facet::embed {

// MODEL_DIR/registered.
std::string RegisteredDir(const std::string& model_dir);

// A built-in recognizer by name, else one registered under `model_dir` (its ONNX file's sha256
// checked against the registration). An unknown name is kInvalidArgument listing the built-in
// and the registered names; a damaged registration is an error naming the file.
Result<RecognizerSpec> FindRecognizer(const std::string& name, const std::string& model_dir);

// The recognizers registered under `model_dir`, sorted (none when the folder is absent); a
// registration that does not parse is listed here, so that its error is shown.
std::vector<std::string> RegisteredRecognizerNames(const std::string& model_dir);

// The detectors registered under `model_dir` (manifests of kind "detector"), sorted.
std::vector<std::string> RegisteredDetectorNames(const std::string& model_dir);

// The registration of detector `name` under `model_dir` (its manifest; the ONNX file's sha256 is
// checked by whoever reads the file).
Result<DetectorManifest> ReadDetectorRegistration(const std::string& model_dir,
                                                  const std::string& name);

// A model file's bytes (at most 2 GiB); kNotFound naming the path.
Result<std::vector<uint8_t>> ReadModelFile(const std::string& path);

// Writes through a temporary file and a rename (never a half-written file).
Status WriteFileAtomically(const std::string& path, const void* data, size_t size);

// The registration of `name` under `model_dir`: its manifest, sha256 checked.
Result<RecognizerManifest> ReadRegistration(const std::string& model_dir, const std::string& name);

// The spec a manifest describes, for the ONNX file at `onnx_path` whose sha256 is `sha256`
// (model_file is registered/NAME.onnx). max_batch comes from the ONNX input's batch dimension.
Result<RecognizerSpec> SpecFromManifest(const RecognizerManifest& manifest,
                                        const std::string& onnx_path, const std::string& sha256);

struct ModelCheck {
  std::vector<int64_t> input_dims;  // as the ONNX file declares them (-1: symbolic)
  std::vector<int64_t> output_dims;
  float backend_difference = 0;  // largest |xnnpack - opencv| over the test templates
};

// Checks that the ONNX file at `onnx_path` is the model `spec` describes: one float input whose
// shape matches the layout, channels and crop size; an output of `dimensions` values per face;
// both backends (XNNPACK, OpenCV DNN) load it and run it on a synthetic test crop, giving finite,
// non-zero templates of the right size that agree within 1e-3.
Result<ModelCheck> CheckRecognizerModel(const RecognizerSpec& spec, const std::string& onnx_path);

struct RegistryOptions {
  // Replace an existing registration of the same name. Default false: a clash is an error.
  bool replace = false;
};

// `facet models add`: reads and validates the manifest at `manifest_path`, finds its ONNX file
// (relative to the manifest's folder), checks its sha256 when the manifest gives one, refuses a
// built-in name, checks the model (CheckRecognizerModel), then writes the registration under
// `model_dir`. Nothing is written unless every check passed. Returns the registered spec.
Result<RecognizerSpec> RegisterRecognizer(const std::string& manifest_path,
                                          const std::string& model_dir,
                                          const RegistryOptions& options = {});

// Writes calibrated thresholds into the registration of `name` (`facet models calibrate`).
Status SetRegisteredThresholds(const std::string& model_dir, const std::string& name,
                               const Thresholds& thresholds);

}  // namespace facet::embed

#endif  // FACET_SRC_EMBED_REGISTRY_H_
