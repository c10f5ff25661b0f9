// Bring your own ONNX face recognizer or detector (docs/models.md, "Adding an ArcFace ONNX you
// have", "Adding a detector you have"): a manifest describes a model facet does not ship;
// RegisterRecognizer / RegisterDetector check it and copy it under the model directory
// (MODEL_DIR/registered/NAME.json + NAME.onnx), after which EngineOptions.recognizer = NAME or
// EngineOptions.detector = NAME uses it. Its version is "sha256:<hex>" of the file.
#ifndef FACET_MODELS_H_
#define FACET_MODELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "facet/status.h"

namespace facet {

struct RegisterOptions {
  // Replace an existing registration of the same name. Default false: a clash is an error.
  bool replace = false;
};

struct RegisteredRecognizer {
  std::string name;
  std::string version;              // "sha256:<hex>" of the ONNX file
  std::string registration;         // path of MODEL_DIR/registered/NAME.json
  std::vector<int64_t> input_dims;  // as the ONNX file declares them (-1: symbolic)
  std::vector<int64_t> output_dims;
  int dimensions = 0;
  float backend_difference = 0;  // largest |XNNPACK - OpenCV| on the test crops
  // Thresholds from the manifest, or both 0 (calibrated false) until SetRecognizerThresholds.
  bool calibrated = false;
  float threshold_fmr_1e3 = 0;
  float threshold_fmr_1e4 = 0;
};

// Validates the manifest at `manifest_path` (hostile JSON, unknown keys, wrong types, unsafe
// names, kind "detector": kInvalidArgument naming the key), finds its ONNX file (relative to the
// manifest's folder), checks its sha256 when given, refuses a built-in name, checks the input and
// output shapes against the manifest and runs the model on test crops with both backends (finite,
// right size, agreeing within 1e-3). Only then writes the registration under `model_dir`.
Result<RegisteredRecognizer> RegisterRecognizer(const std::string& manifest_path,
                                                const std::string& model_dir,
                                                const RegisterOptions& options = {});

// Whether `name` is registered under `model_dir` (a valid registration; else the error).
Status CheckRegisteredRecognizer(const std::string& model_dir, const std::string& name);

// Writes calibrated thresholds (cosine similarity at FMR 1e-3 and 1e-4, fmr_1e4 > fmr_1e3) into
// the registration of `name` (`facet models calibrate`).
Status SetRecognizerThresholds(const std::string& model_dir, const std::string& name,
                               float threshold_fmr_1e3, float threshold_fmr_1e4);

// The "kind" a manifest file declares ("recognizer", "detector" or anything it says), to choose
// RegisterRecognizer or RegisterDetector; kInvalidArgument when it is not a JSON object with a
// string "kind", kNotFound when it cannot be read.
Result<std::string> ReadManifestKind(const std::string& manifest_path);

struct RegisterDetectorOptions {
  // Replace an existing registration of the same name. Default false: a clash is an error.
  bool replace = false;
  // A photo with at least one face for the test run. Default empty: the first sample photo
  // scripts/models.sh fetches, MODEL_DIR/src/@vladmandic/face-api@1.7.15/demo/sample1.jpg
  // (pinned by sha256 in models/lock.tsv); an error when it is absent.
  std::string test_image;
};

struct RegisteredDetector {
  std::string name;
  std::string version;              // "sha256:<hex>" of the ONNX file
  std::string registration;         // path of MODEL_DIR/registered/NAME.json
  std::vector<int64_t> input_dims;  // as the ONNX file declares them (-1: symbolic)
  std::string test_image;           // the photo the test run used
  int test_faces = 0;               // faces it found there at score_threshold
  int test_faces_confirmed = 0;     // of which MTCNN's O-Net takes for faces
  float best_score = 0;
  float backend_iou = 0;  // smallest IoU of a face's XNNPACK box with its OpenCV box
  float score_threshold = 0;
};

// Validates a detector manifest (kInvalidArgument naming the key), finds its ONNX file, checks
// its sha256 when given, refuses a built-in name, checks the input and output shapes against the
// manifest and runs it with both backends on the test photo: at least one face at the
// manifest's score threshold, at least half of them taken for faces by MTCNN's O-Net
// (MODEL_DIR/onet.onnx), every face's landmarks (when it places them) in a face's arrangement,
// the backends' boxes agreeing. Only then writes the registration under `model_dir`.
Result<RegisteredDetector> RegisterDetector(const std::string& manifest_path,
                                            const std::string& model_dir,
                                            const RegisterDetectorOptions& options = {});

// MODEL_DIR/registered/NAME.json.
std::string RegistrationPath(const std::string& model_dir, const std::string& name);

}  // namespace facet

#endif  // FACET_MODELS_H_
