// Detectors a user registered ("bring your own detector", docs/models.md, "Adding a detector you
// have"): a manifest (embed/detector_manifest.h) names a decoder family facet has and its
// parameters; the registration is MODEL_DIR/registered/NAME.json + NAME.onnx, as a recognizer's
// (embed/registry.h). Here because its check runs the detector (detect/) on a photo.
#ifndef FACET_SRC_ENGINE_DETECTOR_REGISTRY_H_
#define FACET_SRC_ENGINE_DETECTOR_REGISTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "detect/retinaface.h"
#include "embed/detector_manifest.h"
#include "facet/status.h"

namespace facet::engine {

// The RetinaFaceSpec a manifest describes.
detect::RetinaFaceSpec SpecFromDetectorManifest(const embed::DetectorManifest& manifest);

struct FoundDetector {
  embed::DetectorManifest manifest;
  std::string onnx_path;  // MODEL_DIR/registered/NAME.onnx, sha256 checked
  std::string version;    // "sha256:<hex>"
};

// The detector registered as `name` under `model_dir`. kInvalidArgument listing the built-in
// and registered detectors when there is none; kCorruptData when its file changed.
Result<FoundDetector> FindRegisteredDetector(const std::string& name, const std::string& model_dir);

struct DetectorCheck {
  std::vector<int64_t> input_dims;  // as the ONNX file declares them (-1: symbolic)
  int faces = 0;                    // found in the test photo at the manifest's threshold
  int confirmed = 0;                // of which MTCNN's O-Net takes for faces (probability >= 0.5)
  float best_score = 0;
  float backend_iou = 0;  // smallest IoU of a face's XNNPACK box with its OpenCV box
};

// The checks of `facet models add` for a detector: one float 4-D input of the declared layout
// and size; each named output present with 2, 4 and 10 channels per anchor in the declared
// layout (for a fixed size, its map sides match each stride); both backends load it and run it
// on `test_image` at the manifest's score threshold, finding at least one face, at least half of
// them taken for faces by O-Net (`onet_path`, an independent opinion), each with its 5 landmarks
// in a face's arrangement (inside its box; from the eyes down to the mouth, eyes and mouth corners
// left to right), and agreeing on the boxes (IoU >= 0.9).
Result<DetectorCheck> CheckDetectorModel(const embed::DetectorManifest& manifest,
                                         const std::string& onnx_path,
                                         const std::string& test_image,
                                         const std::string& onet_path);

}  // namespace facet::engine

#endif  // FACET_SRC_ENGINE_DETECTOR_REGISTRY_H_
