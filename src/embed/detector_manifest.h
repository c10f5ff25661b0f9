// The manifest of a user-supplied face detector ("bring your own detector", docs/models.md,
// "Adding a detector you have"): what facet needs to know to run an ONNX detector it does not ship
// and to decode its outputs with a decoder family it has. Parsed as strictly as a recognizer's
// (embed/manifest.h): unknown keys, wrong types, out-of-range values and unsafe names are
// kInvalidArgument naming the key; every key is required but sha256, description and licence.
//
//   {
//     "kind": "detector",
//     "name": "retinaface_byo",                 [A-Za-z0-9_.-], 1-64 chars, not a built-in name
//     "onnx": "retinaface_mnet025.onnx",        relative to the manifest's folder
//     "sha256": "...",                          optional; checked when given
//     "input": {"layout": "NHWC", "channels": "RGB", "mean": [127.5, 127.5, 127.5],
//               "scale": 0.0078125,
//               "multiple_of": 32},             or "width": 640, "height": 640 (a fixed size)
//     "decoder": {"family": "retinaface",       the only family facet decodes
//                 "levels": [{"stride": 32, "anchor_sizes": [512, 256], "scores": "cls_stride32",
//                             "boxes": "bbox_stride32", "landmarks": "landmark_stride32"}, ...],
//                 "output_layout": "NHWC",      or "NCHW"
//                 "anchor_offset": 7.5,         anchor centre = stride * cell + offset
//                 "box_variance": [1, 1],
//                 "landmark_spread": [0.18181818, 1],   (only with "landmarks": 5)
//                 "scores": "two_class_logits", or "two_class_probabilities"
//                 "landmarks": 5},              or 0: facet's O-Net places them
//     "score_threshold": 0.75,                  the detector's recommended threshold, (0, 1)
//     "description": "...", "licence": "..."    optional free text (shown by `facet models`)
//   }
#ifndef FACET_SRC_EMBED_DETECTOR_MANIFEST_H_
#define FACET_SRC_EMBED_DETECTOR_MANIFEST_H_

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "facet/status.h"

namespace facet::embed {

struct DetectorLevel {
  int stride = 0;
  std::vector<float> anchor_sizes;       // 1..4 square anchors per cell, input pixels
  std::string scores, boxes, landmarks;  // output names (landmarks empty when "landmarks": 0)
};

struct DetectorManifest {
  std::string name;
  std::string onnx;    // as written: relative to the manifest's folder (or absolute)
  std::string sha256;  // lowercase hex, or empty when not given
  // Input.
  bool nhwc = false;
  bool bgr = false;
  std::array<double, 3> mean = {0, 0, 0};
  double scale = 1.0;
  int multiple_of = 0;        // variable size: sides padded to a multiple of this...
  int width = 0, height = 0;  // ... or a fixed size
  // Decoder ("retinaface" family).
  std::vector<DetectorLevel> levels;
  bool nchw_outputs = false;
  float anchor_offset = 0;
  std::array<float, 2> box_variance = {1, 1};
  std::array<float, 2> landmark_spread = {0, 0};
  bool probabilities = false;  // scores: false "two_class_logits", true "two_class_probabilities"
  int landmarks = 5;           // 5 or 0
  float score_threshold = 0;
  std::string description;
  std::string licence;
};

// Parses and validates a detector manifest. kInvalidArgument naming the offending key.
Result<DetectorManifest> ParseDetectorManifest(std::string_view json_text);

// The manifest as JSON text (ParseDetectorManifest reads it back unchanged).
std::string DetectorManifestToJson(const DetectorManifest& manifest);

// The "kind" of a manifest ("recognizer", "detector", or whatever it says), or kInvalidArgument
// when it is not a JSON object with a string "kind".
Result<std::string> ManifestKind(std::string_view json_text);

}  // namespace facet::embed

#endif  // FACET_SRC_EMBED_DETECTOR_MANIFEST_H_
