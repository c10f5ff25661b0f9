#include "embed/manifest_json.h"

#include <cctype>
#include <cmath>

#include "core/json_strict.h"
#include "embed/manifest.h"

namespace facet::embed::manifest_json {

Status Bad(const std::string& message) { return Status::InvalidArgument("manifest: " + message); }

Status WithDocs(const Status& status, const char* docs) {
  if (status.ok()) return status;
  return Status(status.code(), status.message() + docs);
}

Result<Json> ParseRoot(std::string_view json_text) {
  if (json_text.size() > kMaxManifestBytes) {
    return Bad("larger than " + std::to_string(kMaxManifestBytes) + " bytes");
  }
  std::string duplicate;
  Json root = ParseJsonRefusingDuplicateKeys(json_text, &duplicate);
  if (!duplicate.empty()) return Bad("the key \"" + duplicate + "\" appears twice in one object");
  if (root.is_discarded()) return Bad("not valid JSON");
  if (!root.is_object()) return Bad("must be a JSON object");
  return root;
}

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

Result<double> Number(const Json& parent, const std::string& key, const std::string& where,
                      bool required, double lo, double hi, double fallback) {
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

Result<std::string> Sha256(const Json& root) {
  std::string sha;
  FACET_MANIFEST_ASSIGN(sha, String(root, "sha256", "", false));
  for (char& c : sha) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool hex = sha.size() == 64;
  for (char c : sha) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!sha.empty() && !hex) return Bad("'sha256' must be 64 hexadecimal digits");
  return sha;
}

Status ParseInputFacts(const Json& input, InputFacts* facts) {
  std::string layout, channels;
  FACET_MANIFEST_ASSIGN(layout, String(input, "layout", "input.", true));
  if (layout != "NCHW" && layout != "NHWC") {
    return Bad("'input.layout' must be \"NCHW\" or \"NHWC\", not \"" + layout + "\"");
  }
  facts->nhwc = layout == "NHWC";
  FACET_MANIFEST_ASSIGN(channels, String(input, "channels", "input.", true));
  if (channels != "RGB" && channels != "BGR") {
    return Bad("'input.channels' must be \"RGB\" or \"BGR\", not \"" + channels + "\"");
  }
  facts->bgr = channels == "BGR";
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
    facts->mean[c] = v.get<double>();
  }
  FACET_MANIFEST_ASSIGN(facts->scale, Number(input, "scale", "input.", true, 1e-9, 1e4));
  return Status::Ok();
}

Status ParseModelFileKeys(const Json& root, ModelFileKeys* keys) {
  FACET_MANIFEST_ASSIGN(keys->name, String(root, "name", "", true));
  if (!IsSafeModelName(keys->name)) {
    return Bad("'name' \"" + keys->name +
               "\" is not a safe model name (1-64 characters of A-Z a-z 0-9 _ . -, starting "
               "with a letter or digit, no \"..\")");
  }
  FACET_MANIFEST_ASSIGN(keys->onnx, String(root, "onnx", "", true));
  if (keys->onnx.empty()) return Bad("'onnx' is empty");
  FACET_MANIFEST_ASSIGN(keys->sha256, Sha256(root));
  return Status::Ok();
}

}  // namespace facet::embed::manifest_json
