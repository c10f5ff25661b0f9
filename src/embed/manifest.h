// The manifest of a user-supplied recognizer ("bring your own ONNX model", docs/models.md):
// what facet needs to know about an ONNX face recognizer it does not ship. Parsed strictly:
// unknown keys, wrong types, out-of-range values and unsafe names are kInvalidArgument naming the
// key; nothing is defaulted silently except the optional fields documented below.
//
//   {
//     "kind": "recognizer",                      required; "detector" is refused (not supported)
//     "name": "faceplugin_mfn",                  required; [A-Za-z0-9_.-], 1-64 chars, not a
//                                                built-in name
//     "onnx": "fr_feature.onnx",                 required; relative to the manifest's folder
//     "sha256": "87aa...",                       optional; checked when given
//     "input": {"size": 112,                     required; square crop side, 16..1024
//               "layout": "NCHW",                "NCHW" or "NHWC"
//               "channels": "RGB",               "RGB" or "BGR"
//               "mean": [127, 127, 127],         per channel, in the model's channel order
//               "scale": 0.0078125},             the model sees (pixel - mean) * scale
//     "alignment": {"template": "arcface_5point",  required; the only template facet has
//                   "padding": 0, "shift_y": 0},   optional, default 0 (align::ScaledTemplate)
//     "output": {"dimensions": 512},             required; 1..4096
//     "thresholds": {"fmr_1e-3": 0.3, "fmr_1e-4": 0.4},  optional; cosine similarity, both or
//                                                none, fmr_1e-4 > fmr_1e-3
//     "description": "...", "licence": "..."     optional free text (shown by `facet models`)
//   }
#ifndef FACET_SRC_EMBED_MANIFEST_H_
#define FACET_SRC_EMBED_MANIFEST_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "facet/status.h"

namespace facet::embed {

struct Thresholds {
  float fmr_1e3 = 0;
  float fmr_1e4 = 0;
};

struct RecognizerManifest {
  std::string name;
  std::string onnx;    // as written: relative to the manifest's folder (or absolute)
  std::string sha256;  // lowercase hex, or empty when not given
  int input_size = 0;
  bool nhwc = false;                       // layout: false NCHW, true NHWC
  bool bgr = false;                        // channel order the model expects: false RGB, true BGR
  std::array<double, 3> mean = {0, 0, 0};  // in the model's channel order
  double scale = 1.0;
  float crop_padding = 0;
  float crop_shift_y = 0;
  int dimensions = 0;
  std::optional<Thresholds> thresholds;
  std::string description;
  std::string licence;
};

// Parses and validates a manifest. kInvalidArgument naming the offending key on any problem
// (malformed JSON, unknown key, wrong type, value out of range, unsafe name, kind "detector").
Result<RecognizerManifest> ParseRecognizerManifest(std::string_view json_text);

// The manifest as JSON text (the form `facet models add` registers; ParseRecognizerManifest
// reads it back unchanged).
std::string RecognizerManifestToJson(const RecognizerManifest& manifest);

// Whether `name` is a safe model name: 1-64 characters of [A-Za-z0-9_.-], starting with a letter
// or digit (so no '/', no "..", no hidden file).
bool IsSafeModelName(std::string_view name);

}  // namespace facet::embed

#endif  // FACET_SRC_EMBED_MANIFEST_H_
