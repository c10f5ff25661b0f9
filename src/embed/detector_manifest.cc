#include "embed/detector_manifest.h"

#include <cmath>

#include "embed/manifest.h"
#include "embed/manifest_json.h"

namespace facet::embed {
namespace {

using manifest_json::Bad;
using manifest_json::CheckKeys;
using manifest_json::Integer;
using manifest_json::Json;
using manifest_json::Number;
using manifest_json::Object;
using manifest_json::String;

constexpr const char* kDetectorDocs = " (docs/models.md, \"Adding a detector you have\")";
constexpr int kMaxLevels = 8;
constexpr int kMaxAnchors = 4;  // detect::kMaxAnchorsPerCell

Status OutOfRange(const std::string& key, double lo, double hi) {
  return Bad("'" + key + "' must hold numbers in [" + Json(lo).dump() + ", " + Json(hi).dump() +
             "]");
}

// An array of `n` numbers in [lo, hi] at `key`.
Status Numbers(const Json& parent, const std::string& key, const std::string& where, size_t n,
               double lo, double hi, float* out) {
  auto it = parent.find(key);
  if (it == parent.end()) return Bad("missing key '" + where + key + "'");
  if (!it->is_array() || it->size() != n) {
    return Bad("'" + where + key + "' must be an array of " + std::to_string(n) + " numbers");
  }
  for (size_t i = 0; i < n; ++i) {
    const Json& v = (*it)[i];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo ||
        v.get<double>() > hi) {
      return OutOfRange(where + key, lo, hi);
    }
    out[i] = static_cast<float>(v.get<double>());
  }
  return Status::Ok();
}

Status ParseInput(const Json& input, DetectorManifest* m) {
  FACET_RETURN_IF_ERROR(CheckKeys(
      input, "input.", {"layout", "channels", "mean", "scale", "multiple_of", "width", "height"}));
  manifest_json::InputFacts facts;
  FACET_RETURN_IF_ERROR(manifest_json::ParseInputFacts(input, &facts));
  m->nhwc = facts.nhwc;
  m->bgr = facts.bgr;
  m->mean = facts.mean;
  m->scale = facts.scale;
  const bool variable = input.contains("multiple_of");
  const bool fixed = input.contains("width") || input.contains("height");
  if (variable == fixed) {
    return Bad(
        "'input' must give either 'multiple_of' (a model of variable size: any sides that are "
        "multiples of it) or 'width' and 'height' (a fixed size), not both or neither");
  }
  if (variable) {
    FACET_MANIFEST_ASSIGN(m->multiple_of, Integer(input, "multiple_of", "input.", 1, 256));
  } else {
    FACET_MANIFEST_ASSIGN(m->width, Integer(input, "width", "input.", 16, 4096));
    FACET_MANIFEST_ASSIGN(m->height, Integer(input, "height", "input.", 16, 4096));
  }
  return Status::Ok();
}

Status ParseLevel(const Json& level, const std::string& where, bool landmarks, DetectorLevel* out) {
  if (!level.is_object()) return Bad("'" + where + "' must be an object");
  const std::string at = where + ".";
  FACET_RETURN_IF_ERROR(
      CheckKeys(level, at, {"stride", "anchor_sizes", "scores", "boxes", "landmarks"}));
  FACET_MANIFEST_ASSIGN(out->stride, Integer(level, "stride", at, 1, 256));
  auto sizes = level.find("anchor_sizes");
  if (sizes == level.end()) return Bad("missing key '" + at + "anchor_sizes'");
  if (!sizes->is_array() || sizes->empty() || sizes->size() > kMaxAnchors) {
    return Bad("'" + at + "anchor_sizes' must be an array of 1 to " + std::to_string(kMaxAnchors) +
               " anchor sides (input pixels, one per anchor of a cell, in the model's order)");
  }
  for (const Json& v : *sizes) {
    if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 8192) {
      return Bad("'" + at + "anchor_sizes' must hold numbers in (0, 8192]");
    }
    out->anchor_sizes.push_back(static_cast<float>(v.get<double>()));
  }
  FACET_MANIFEST_ASSIGN(out->scores, String(level, "scores", at, true));
  FACET_MANIFEST_ASSIGN(out->boxes, String(level, "boxes", at, true));
  FACET_MANIFEST_ASSIGN(out->landmarks, String(level, "landmarks", at, landmarks));
  if (!landmarks && !out->landmarks.empty()) {
    return Bad("'" + at + "landmarks' names an output, but 'decoder.landmarks' is 0");
  }
  if (out->scores.empty() || out->boxes.empty() || (landmarks && out->landmarks.empty())) {
    return Bad("'" + where + "' has an empty output name");
  }
  return Status::Ok();
}

std::string LevelKey(size_t i) { return "decoder.levels[" + std::to_string(i) + "]"; }

Status StrideTwice(int stride) {
  return Bad("'decoder.levels' lists stride " + std::to_string(stride) + " twice");
}

Status ParseDecoder(const Json& decoder, DetectorManifest* m) {
  const std::string at = "decoder.";
  FACET_RETURN_IF_ERROR(CheckKeys(decoder, at,
                                  {"family", "levels", "output_layout", "anchor_offset",
                                   "box_variance", "landmark_spread", "scores", "landmarks"}));
  std::string family;
  FACET_MANIFEST_ASSIGN(family, String(decoder, "family", at, true));
  if (family != "retinaface") {
    return Bad("'decoder.family' \"" + family +
               "\" is not a family facet decodes (known: retinaface; SCRFD, YOLO-face and "
               "other anchor-free heads are not supported)");
  }
  FACET_MANIFEST_ASSIGN(m->landmarks, Integer(decoder, "landmarks", at, 0, 5));
  if (m->landmarks != 0 && m->landmarks != 5) {
    return Bad(
        "'decoder.landmarks' must be 5 (the model places eyes, nose tip and mouth "
        "corners) or 0 (none: facet's O-Net places them)");
  }
  std::string layout, scores;
  FACET_MANIFEST_ASSIGN(layout, String(decoder, "output_layout", at, true));
  if (layout != "NCHW" && layout != "NHWC") {
    return Bad("'decoder.output_layout' must be \"NCHW\" or \"NHWC\", not \"" + layout + "\"");
  }
  m->nchw_outputs = layout == "NCHW";
  FACET_MANIFEST_ASSIGN(scores, String(decoder, "scores", at, true));
  if (scores != "two_class_logits" && scores != "two_class_probabilities") {
    return Bad(
        "'decoder.scores' must be \"two_class_logits\" or \"two_class_probabilities\", "
        "not \"" +
        scores + "\"");
  }
  m->probabilities = scores == "two_class_probabilities";
  double offset = 0;
  FACET_MANIFEST_ASSIGN(offset, Number(decoder, "anchor_offset", at, true, 0, 256));
  m->anchor_offset = static_cast<float>(offset);
  FACET_RETURN_IF_ERROR(Numbers(decoder, "box_variance", at, 2, 1e-3, 10, m->box_variance.data()));
  if (m->landmarks == 5) {
    FACET_RETURN_IF_ERROR(
        Numbers(decoder, "landmark_spread", at, 2, -100, 100, m->landmark_spread.data()));
  } else if (decoder.contains("landmark_spread")) {
    return Bad("'decoder.landmark_spread' is given, but 'decoder.landmarks' is 0");
  }
  auto levels = decoder.find("levels");
  if (levels == decoder.end()) return Bad("missing key 'decoder.levels'");
  if (!levels->is_array() || levels->empty() || levels->size() > kMaxLevels) {
    return Bad("'decoder.levels' must be an array of 1 to " + std::to_string(kMaxLevels) +
               " output levels");
  }
  for (size_t i = 0; i < levels->size(); ++i) {
    DetectorLevel level;
    FACET_RETURN_IF_ERROR(ParseLevel((*levels)[i], LevelKey(i), m->landmarks == 5, &level));
    for (const DetectorLevel& other : m->levels) {
      if (other.stride == level.stride) return StrideTwice(level.stride);
    }
    m->levels.push_back(std::move(level));
  }
  return Status::Ok();
}

Result<DetectorManifest> ParseDetector(std::string_view json_text) {
  Json root;
  FACET_MANIFEST_ASSIGN(root, manifest_json::ParseRoot(json_text));
  std::string kind;
  FACET_MANIFEST_ASSIGN(kind, String(root, "kind", "", true));
  if (kind != "detector") return Bad("'kind' must be \"detector\", not \"" + kind + "\"");
  FACET_RETURN_IF_ERROR(CheckKeys(root, "",
                                  {"kind", "name", "onnx", "sha256", "input", "decoder",
                                   "score_threshold", "description", "licence"}));
  DetectorManifest m;
  manifest_json::ModelFileKeys file;
  FACET_RETURN_IF_ERROR(manifest_json::ParseModelFileKeys(root, &file));
  m.name = std::move(file.name);
  m.onnx = std::move(file.onnx);
  m.sha256 = std::move(file.sha256);
  const Json* input = nullptr;
  FACET_MANIFEST_ASSIGN(input, Object(root, "input", "", true));
  FACET_RETURN_IF_ERROR(ParseInput(*input, &m));
  const Json* decoder = nullptr;
  FACET_MANIFEST_ASSIGN(decoder, Object(root, "decoder", "", true));
  FACET_RETURN_IF_ERROR(ParseDecoder(*decoder, &m));
  double threshold = 0;
  FACET_MANIFEST_ASSIGN(threshold, Number(root, "score_threshold", "", true, 0, 1));
  if (!(threshold > 0 && threshold < 1)) return Bad("'score_threshold' must be in (0, 1)");
  m.score_threshold = static_cast<float>(threshold);
  FACET_MANIFEST_ASSIGN(m.description, String(root, "description", "", false));
  FACET_MANIFEST_ASSIGN(m.licence, String(root, "licence", "", false));
  return m;
}

}  // namespace

Result<DetectorManifest> ParseDetectorManifest(std::string_view json_text) {
  auto manifest = ParseDetector(json_text);
  if (!manifest.ok()) return manifest_json::WithDocs(manifest.status(), kDetectorDocs);
  return manifest;
}

Result<std::string> ManifestKind(std::string_view json_text) {
  auto root = manifest_json::ParseRoot(json_text);
  if (!root.ok()) return root.status();
  return String(root.value(), "kind", "", true);
}

std::string DetectorManifestToJson(const DetectorManifest& m) {
  Json input = {{"layout", m.nhwc ? "NHWC" : "NCHW"},
                {"channels", m.bgr ? "BGR" : "RGB"},
                {"mean", {m.mean[0], m.mean[1], m.mean[2]}},
                {"scale", m.scale}};
  if (m.multiple_of > 0) {
    input["multiple_of"] = m.multiple_of;
  } else {
    input["width"] = m.width;
    input["height"] = m.height;
  }
  Json levels = Json::array();
  for (const DetectorLevel& l : m.levels) {
    Json level = {{"stride", l.stride},
                  {"anchor_sizes", l.anchor_sizes},
                  {"scores", l.scores},
                  {"boxes", l.boxes}};
    if (m.landmarks == 5) level["landmarks"] = l.landmarks;
    levels.push_back(level);
  }
  Json decoder = {{"family", "retinaface"},
                  {"levels", levels},
                  {"output_layout", m.nchw_outputs ? "NCHW" : "NHWC"},
                  {"anchor_offset", m.anchor_offset},
                  {"box_variance", m.box_variance},
                  {"scores", m.probabilities ? "two_class_probabilities" : "two_class_logits"},
                  {"landmarks", m.landmarks}};
  if (m.landmarks == 5) decoder["landmark_spread"] = m.landmark_spread;
  Json out = {{"kind", "detector"}, {"name", m.name},     {"onnx", m.onnx},
              {"input", input},     {"decoder", decoder}, {"score_threshold", m.score_threshold}};
  if (!m.sha256.empty()) out["sha256"] = m.sha256;
  if (!m.description.empty()) out["description"] = m.description;
  if (!m.licence.empty()) out["licence"] = m.licence;
  return out.dump(2) + "\n";
}

}  // namespace facet::embed
