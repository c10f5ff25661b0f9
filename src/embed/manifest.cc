#include "embed/manifest.h"

#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace facet::embed {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxManifestBytes = 64 * 1024;
constexpr const char* kDocs = " (docs/models.md, \"Adding an ArcFace ONNX you have\")";

Status Bad(const std::string& message) {
  return Status::InvalidArgument("manifest: " + message + kDocs);
}

// Every key of `object` (named `where`) must be in `allowed`.
Status CheckKeys(const Json& object, const std::string& where,
                 const std::set<std::string>& allowed) {
  for (const auto& item : object.items()) {
    if (allowed.count(item.key()) == 0) {
      std::string known;
      for (const std::string& k : allowed) known += (known.empty() ? "" : ", ") + k;
      std::string message = "unknown key '" + where + item.key() + "' (known in ";
      message += where.empty() ? std::string("the manifest") : "'" + where + "'";
      message.append(": ").append(known).append(")");
      return Bad(message);
    }
  }
  return Status::Ok();
}

Result<const Json*> Object(const Json& parent, const std::string& key, const std::string& where,
                           bool required) {
  auto it = parent.find(key);
  if (it == parent.end()) {
    if (required) return Bad("missing key '" + where + key + "'");
    return static_cast<const Json*>(nullptr);
  }
  if (!it->is_object()) return Bad("'" + where + key + "' must be an object");
  return &*it;
}

Result<std::string> String(const Json& parent, const std::string& key, const std::string& where,
                           bool required) {
  auto it = parent.find(key);
  if (it == parent.end()) {
    if (required) return Bad("missing key '" + where + key + "'");
    return std::string();
  }
  if (!it->is_string()) return Bad("'" + where + key + "' must be a string");
  std::string value = it->get<std::string>();
  if (value.size() > 4096) return Bad("'" + where + key + "' is longer than 4096 characters");
  if (value.find('\0') != std::string::npos) return Bad("'" + where + key + "' holds a NUL byte");
  return value;
}

// A finite number in [lo, hi]; `fallback` when absent and not required.
Result<double> Number(const Json& parent, const std::string& key, const std::string& where,
                      bool required, double lo, double hi, double fallback = 0) {
  auto it = parent.find(key);
  if (it == parent.end()) {
    if (required) return Bad("missing key '" + where + key + "'");
    return fallback;
  }
  if (!it->is_number()) return Bad("'" + where + key + "' must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return Bad("'" + where + key + "' = " + it->dump() + " is outside [" + Json(lo).dump() + ", " +
               Json(hi).dump() + "]");
  }
  return v;
}

Result<int> Integer(const Json& parent, const std::string& key, const std::string& where, int lo,
                    int hi) {
  auto it = parent.find(key);
  if (it == parent.end()) return Bad("missing key '" + where + key + "'");
  if (!it->is_number_integer()) return Bad("'" + where + key + "' must be an integer");
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    return Bad("'" + where + key + "' = " + std::to_string(v) + " is outside [" +
               std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

#define FACET_ASSIGN(lhs, expr)                           \
  do {                                                    \
    auto facet_value_ = (expr);                           \
    if (!facet_value_.ok()) return facet_value_.status(); \
    (lhs) = facet_value_.value();                         \
  } while (false)

Status ParseInput(const Json& input, RecognizerManifest* m) {
  FACET_RETURN_IF_ERROR(
      CheckKeys(input, "input.", {"size", "layout", "channels", "mean", "scale"}));
  FACET_ASSIGN(m->input_size, Integer(input, "size", "input.", 16, 1024));
  std::string layout, channels;
  FACET_ASSIGN(layout, String(input, "layout", "input.", true));
  if (layout != "NCHW" && layout != "NHWC") {
    return Bad("'input.layout' must be \"NCHW\" or \"NHWC\", not \"" + layout + "\"");
  }
  m->nhwc = layout == "NHWC";
  FACET_ASSIGN(channels, String(input, "channels", "input.", true));
  if (channels != "RGB" && channels != "BGR") {
    return Bad("'input.channels' must be \"RGB\" or \"BGR\", not \"" + channels + "\"");
  }
  m->bgr = channels == "BGR";
  auto mean = input.find("mean");
  if (mean == input.end()) return Bad("missing key 'input.mean'");
  if (!mean->is_array() || mean->size() != 3) {
    return Bad(
        "'input.mean' must be an array of 3 numbers (one per channel, in the model's order)");
  }
  for (size_t c = 0; c < 3; ++c) {
    const Json& v = (*mean)[c];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e4) {
      return Bad("'input.mean' must hold 3 finite numbers within +-10000");
    }
    m->mean[c] = v.get<double>();
  }
  FACET_ASSIGN(m->scale, Number(input, "scale", "input.", true, 1e-9, 1e4));
  return Status::Ok();
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
  if (json_text.size() > kMaxManifestBytes) {
    return Bad("larger than " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  const Json root = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Bad("not valid JSON");
  if (!root.is_object()) return Bad("must be a JSON object");
  RecognizerManifest m;
  std::string kind;
  FACET_ASSIGN(kind, String(root, "kind", "", true));
  if (kind == "detector") {
    return Bad(
        "kind \"detector\" is not supported: facet decodes only the outputs of RetinaFace "
        "and BlazeFace, its own detectors; a manifest can register a recognizer");
  }
  if (kind != "recognizer") return Bad("'kind' must be \"recognizer\", not \"" + kind + "\"");
  FACET_RETURN_IF_ERROR(CheckKeys(root, "",
                                  {"kind", "name", "onnx", "sha256", "input", "alignment", "output",
                                   "thresholds", "description", "licence"}));
  FACET_ASSIGN(m.name, String(root, "name", "", true));
  if (!IsSafeModelName(m.name)) {
    return Bad("'name' \"" + m.name +
               "\" is not a safe model name (1-64 characters of "
               "A-Z a-z 0-9 _ . -, starting with a letter or digit, no \"..\")");
  }
  FACET_ASSIGN(m.onnx, String(root, "onnx", "", true));
  if (m.onnx.empty()) return Bad("'onnx' is empty");
  FACET_ASSIGN(m.sha256, String(root, "sha256", "", false));
  for (char& c : m.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!m.sha256.empty() && !IsLowerHex64(m.sha256)) {
    return Bad("'sha256' must be 64 hexadecimal digits");
  }
  const Json* input = nullptr;
  FACET_ASSIGN(input, Object(root, "input", "", true));
  FACET_RETURN_IF_ERROR(ParseInput(*input, &m));
  const Json* alignment = nullptr;
  FACET_ASSIGN(alignment, Object(root, "alignment", "", true));
  FACET_RETURN_IF_ERROR(CheckKeys(*alignment, "alignment.", {"template", "padding", "shift_y"}));
  std::string templ;
  FACET_ASSIGN(templ, String(*alignment, "template", "alignment.", true));
  if (templ != "arcface_5point") {
    return Bad(
        "'alignment.template' must be \"arcface_5point\" (the only template facet has), "
        "not \"" +
        templ + "\"");
  }
  double padding = 0, shift = 0;
  FACET_ASSIGN(padding, Number(*alignment, "padding", "alignment.", false, -0.5, 1.0));
  FACET_ASSIGN(shift, Number(*alignment, "shift_y", "alignment.", false, -0.5, 0.5));
  m.crop_padding = static_cast<float>(padding);
  m.crop_shift_y = static_cast<float>(shift);
  const Json* output = nullptr;
  FACET_ASSIGN(output, Object(root, "output", "", true));
  FACET_RETURN_IF_ERROR(CheckKeys(*output, "output.", {"dimensions"}));
  FACET_ASSIGN(m.dimensions, Integer(*output, "dimensions", "output.", 1, 4096));
  const Json* thresholds = nullptr;
  FACET_ASSIGN(thresholds, Object(root, "thresholds", "", false));
  if (thresholds != nullptr) {
    FACET_RETURN_IF_ERROR(CheckKeys(*thresholds, "thresholds.", {"fmr_1e-3", "fmr_1e-4"}));
    double t3 = 0, t4 = 0;
    FACET_ASSIGN(t3, Number(*thresholds, "fmr_1e-3", "thresholds.", true, -1, 1));
    FACET_ASSIGN(t4, Number(*thresholds, "fmr_1e-4", "thresholds.", true, -1, 1));
    if (!(t4 > t3)) {
      return Bad(
          "'thresholds.fmr_1e-4' must be greater than 'thresholds.fmr_1e-3' (a lower "
          "false-match rate needs a stricter threshold)");
    }
    m.thresholds = Thresholds{static_cast<float>(t3), static_cast<float>(t4)};
  }
  FACET_ASSIGN(m.description, String(root, "description", "", false));
  FACET_ASSIGN(m.licence, String(root, "licence", "", false));
  return m;
}

#undef FACET_ASSIGN

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
