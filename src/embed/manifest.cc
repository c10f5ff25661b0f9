#include "embed/manifest.h"

#include <cctype>
#include <cmath>

#include "embed/manifest_json.h"

namespace facet::embed {
namespace {

using manifest_json::Bad;
using manifest_json::Json;

constexpr const char* kRecognizerDocs = " (docs/models.md, \"Adding an ArcFace ONNX you have\")";

Status ParseInput(const Json& input, RecognizerManifest* m) {
  FACET_RETURN_IF_ERROR(
      manifest_json::CheckKeys(input, "input.", {"size", "layout", "channels", "mean", "scale"}));
  FACET_MANIFEST_ASSIGN(m->input_size, manifest_json::Integer(input, "size", "input.", 16, 1024));
  manifest_json::InputFacts facts;
  FACET_RETURN_IF_ERROR(manifest_json::ParseInputFacts(input, &facts));
  m->nhwc = facts.nhwc;
  m->bgr = facts.bgr;
  m->mean = facts.mean;
  m->scale = facts.scale;
  return Status::Ok();
}

Result<RecognizerManifest> ParseRecognizer(std::string_view json_text) {
  using manifest_json::CheckKeys;
  using manifest_json::Integer;
  using manifest_json::Number;
  using manifest_json::Object;
  using manifest_json::String;
  Json root;
  FACET_MANIFEST_ASSIGN(root, manifest_json::ParseRoot(json_text));
  RecognizerManifest m;
  std::string kind;
  FACET_MANIFEST_ASSIGN(kind, String(root, "kind", "", true));
  if (kind == "detector") {
    return Bad("kind \"detector\": a detector's manifest, not a recognizer's");
  }
  if (kind != "recognizer") {
    return Bad("'kind' must be \"recognizer\" or \"detector\", not \"" + kind + "\"");
  }
  FACET_RETURN_IF_ERROR(CheckKeys(root, "",
                                  {"kind", "name", "onnx", "sha256", "input", "alignment", "output",
                                   "thresholds", "description", "licence"}));
  manifest_json::ModelFileKeys file;
  FACET_RETURN_IF_ERROR(manifest_json::ParseModelFileKeys(root, &file));
  m.name = std::move(file.name);
  m.onnx = std::move(file.onnx);
  m.sha256 = std::move(file.sha256);
  const Json* input = nullptr;
  FACET_MANIFEST_ASSIGN(input, Object(root, "input", "", true));
  FACET_RETURN_IF_ERROR(ParseInput(*input, &m));
  const Json* alignment = nullptr;
  FACET_MANIFEST_ASSIGN(alignment, Object(root, "alignment", "", true));
  FACET_RETURN_IF_ERROR(CheckKeys(*alignment, "alignment.", {"template", "padding", "shift_y"}));
  std::string templ;
  FACET_MANIFEST_ASSIGN(templ, String(*alignment, "template", "alignment.", true));
  if (templ != "arcface_5point") {
    return Bad(
        "'alignment.template' must be \"arcface_5point\" (the only template facet has), "
        "not \"" +
        templ + "\"");
  }
  double padding = 0, shift = 0;
  FACET_MANIFEST_ASSIGN(padding, Number(*alignment, "padding", "alignment.", false, -0.5, 1.0));
  FACET_MANIFEST_ASSIGN(shift, Number(*alignment, "shift_y", "alignment.", false, -0.5, 0.5));
  m.crop_padding = static_cast<float>(padding);
  m.crop_shift_y = static_cast<float>(shift);
  const Json* output = nullptr;
  FACET_MANIFEST_ASSIGN(output, Object(root, "output", "", true));
  FACET_RETURN_IF_ERROR(CheckKeys(*output, "output.", {"dimensions"}));
  FACET_MANIFEST_ASSIGN(m.dimensions, Integer(*output, "dimensions", "output.", 1, 4096));
  const Json* thresholds = nullptr;
  FACET_MANIFEST_ASSIGN(thresholds, Object(root, "thresholds", "", false));
  if (thresholds != nullptr) {
    FACET_RETURN_IF_ERROR(CheckKeys(*thresholds, "thresholds.", {"fmr_1e-3", "fmr_1e-4"}));
    double t3 = 0, t4 = 0;
    FACET_MANIFEST_ASSIGN(t3, Number(*thresholds, "fmr_1e-3", "thresholds.", true, -1, 1));
    FACET_MANIFEST_ASSIGN(t4, Number(*thresholds, "fmr_1e-4", "thresholds.", true, -1, 1));
    if (!(t4 > t3)) {
      return Bad(
          "'thresholds.fmr_1e-4' must be greater than 'thresholds.fmr_1e-3' (a lower "
          "false-match rate needs a stricter threshold)");
    }
    m.thresholds = Thresholds{static_cast<float>(t3), static_cast<float>(t4)};
  }
  FACET_MANIFEST_ASSIGN(m.description, String(root, "description", "", false));
  FACET_MANIFEST_ASSIGN(m.licence, String(root, "licence", "", false));
  return m;
}

}  // namespace

bool IsSafeModelName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return name.find("..") == std::string_view::npos;
}

Result<RecognizerManifest> ParseRecognizerManifest(std::string_view json_text) {
  auto manifest = ParseRecognizer(json_text);
  if (!manifest.ok()) return manifest_json::WithDocs(manifest.status(), kRecognizerDocs);
  return manifest;
}

std::string RecognizerManifestToJson(const RecognizerManifest& m) {
  Json out = {{"kind", "recognizer"},
              {"name", m.name},
              {"onnx", m.onnx},
              {"input",
               {{"size", m.input_size},
                {"layout", m.nhwc ? "NHWC" : "NCHW"},
                {"channels", m.bgr ? "BGR" : "RGB"},
                {"mean", {m.mean[0], m.mean[1], m.mean[2]}},
                {"scale", m.scale}}},
              {"alignment",
               {{"template", "arcface_5point"},
                {"padding", static_cast<double>(m.crop_padding)},
                {"shift_y", static_cast<double>(m.crop_shift_y)}}},
              {"output", {{"dimensions", m.dimensions}}}};
  if (!m.sha256.empty()) out["sha256"] = m.sha256;
  if (m.thresholds) {
    // Four decimals, as facet prints thresholds (a float's full expansion is noise).
    auto round4 = [](float v) { return std::round(static_cast<double>(v) * 1e4) / 1e4; };
    out["thresholds"] = {{"fmr_1e-3", round4(m.thresholds->fmr_1e3)},
                         {"fmr_1e-4", round4(m.thresholds->fmr_1e4)}};
  }
  if (!m.description.empty()) out["description"] = m.description;
  if (!m.licence.empty()) out["licence"] = m.licence;
  return out.dump(2) + "\n";
}

}  // namespace facet::embed
