#include "service/request_parsing.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "core/json_strict.h"
#include "service/azure_compat.h"

namespace facet::service {
namespace {

constexpr int kMaxJsonDepth = 32;

ApiError Bad(std::string message) { return {400, "BadArgument", std::move(message)}; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Names shown back to the client are cut and stripped of control characters.
std::string Shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(std::iscntrl(static_cast<unsigned char>(c)) ? '?' : c);
  return out;
}

MaybeError ParseBool(const std::string& name, const std::string& value, bool* out) {
  const std::string v = Lower(value);
  if (v == "true") {
    *out = true;
  } else if (v == "false") {
    *out = false;
  } else {
    return Bad(name + " must be true or false");
  }
  return std::nullopt;
}

// Nesting depth of a JSON text, outside strings; -1 when it exceeds `max`.
bool JsonDepthWithin(std::string_view text, int max) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

MaybeError AddFaceAttribute(const std::string& attribute, DetectParams* out) {
  std::string name;
  switch (ClassifyFaceAttribute(attribute, &name)) {
    case AttributeAnswer::kComputed:
    case AttributeAnswer::kFacetOnly:
      break;
    case AttributeAnswer::kNoModel:
      return Bad("face attribute '" + name +
                 "' is not offered: facet has no model for it (it offers headPose, "
                 "qualityForRecognition, blur, exposure, noise, qualityDetails)");
    case AttributeAnswer::kNeverInferred:
      return Bad("face attribute '" + name +
                 "' is refused: facet never infers age, gender, emotion, appearance or "
                 "ethnicity");
    case AttributeAnswer::kUnknown:
      return Bad("face attribute '" + Shown(name) +
                 "' is not supported (facet offers headPose, qualityForRecognition, blur, "
                 "exposure, noise, qualityDetails)");
  }
  if (name == "qualityForRecognition") out->quality = true;
  if (name == "headPose") out->head_pose = true;
  if (name == "qualityDetails") out->quality_details = true;
  if (name == "blur") out->blur = true;
  if (name == "exposure") out->exposure = true;
  if (name == "noise") out->noise = true;
  return std::nullopt;
}

}  // namespace

MaybeError ParseDetectParams(const httplib::Params& params, DetectParams* out) {
  *out = DetectParams{};
  std::set<std::string> seen;
  for (const auto& [name, value] : params) {
    if (!seen.insert(name).second) return Bad("parameter " + Shown(name) + " is repeated");
    if (name == "returnFaceId") {
      if (auto e = ParseBool(name, value, &out->return_face_id)) return e;
    } else if (name == "returnFaceLandmarks") {
      if (auto e = ParseBool(name, value, &out->return_landmarks)) return e;
    } else if (name == "returnRecognitionModel") {
      if (auto e = ParseBool(name, value, &out->return_recognition_model)) return e;
    } else if (name == "recognitionModel") {
      out->recognition_model = value;
    } else if (name == "detectionModel") {
      const std::string detector = FacetDetectorFor(value);
      auto mode = ParseDetectorMode(detector);
      if (detector.empty() || !mode.ok()) {
        return Bad("detectionModel '" + Shown(value) + "' is not offered (offered: " +
                   DetectionModelList() + ")");
      }
      out->detector = mode.value();
    } else if (name == "faceIdTimeToLive") {
      int ttl = 0;
      const bool digits = !value.empty() && value.size() <= 6 &&
                          std::all_of(value.begin(), value.end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
      if (digits) ttl = std::stoi(value);
      if (!digits || ttl < 60 || ttl > 86400) {
        return Bad("faceIdTimeToLive must be an integer from 60 to 86400 (seconds)");
      }
      out->face_id_ttl_s = ttl;
    } else if (name == "returnFaceAttributes") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        const std::string attribute = Trim(std::string_view(value).substr(start, end - start));
        start = end + 1;
        if (attribute.empty()) continue;
        if (auto e = AddFaceAttribute(attribute, out)) return e;
      }
    } else {
      return Bad("unknown parameter '" + Shown(name) + "'");
    }
  }
  return std::nullopt;
}

std::string MediaType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  return Lower(Trim(content_type.substr(0, semicolon)));
}

MaybeError RequestImage(const httplib::Request& req, std::string_view* bytes) {
  const std::string type = MediaType(req.get_header_value("Content-Type"));
  if (type == "application/octet-stream" || type.rfind("image/", 0) == 0) {
    *bytes = req.body;
  } else if (type == "multipart/form-data") {
    const httplib::MultipartFormData* part = nullptr;
    auto it = req.files.find("image");
    if (it != req.files.end()) {
      if (req.files.count("image") != 1) return Bad("more than one part is named 'image'");
      part = &it->second;
    } else if (req.files.size() == 1) {
      part = &req.files.begin()->second;
    } else {
      return Bad("multipart/form-data needs one part named 'image'");
    }
    *bytes = part->content;
  } else if (type == "application/json") {
    return Bad("facet does not fetch images from URLs: send the image bytes "
               "(application/octet-stream, image/*, or multipart/form-data)");
  } else {
    return ApiError{415, "UnsupportedMediaType",
                    "send the image as application/octet-stream, image/* or "
                    "multipart/form-data"};
  }
  if (bytes->empty()) return ApiError{400, "InvalidImage", "the image is empty"};
  return std::nullopt;
}

MaybeError ParseJsonObject(const httplib::Request& req, nlohmann::json* out) {
  if (MediaType(req.get_header_value("Content-Type")) != "application/json") {
    return ApiError{415, "UnsupportedMediaType", "send a JSON body (application/json)"};
  }
  if (req.body.size() > kMaxJsonBytes) {
    return ApiError{413, "PayloadTooLarge", "a JSON body is at most 1 MiB"};
  }
  if (!JsonDepthWithin(req.body, kMaxJsonDepth)) return Bad("the JSON body is nested too deeply");
  std::string duplicate;
  *out = ParseJsonRefusingDuplicateKeys(req.body, &duplicate);
  if (!duplicate.empty()) return Bad("the JSON body has the key '" + duplicate + "' twice");
  if (out->is_discarded()) return Bad("the body is not valid JSON");
  if (!out->is_object()) return Bad("the JSON body must be an object");
  return std::nullopt;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

MaybeError GetFaceId(const nlohmann::json& body, const char* field, std::string* out) {
  const auto it = body.find(field);
  if (it == body.end()) return Bad(std::string(field) + " is required");
  if (!it->is_string() || !IsUuid(it->get_ref<const std::string&>())) {
    return Bad(std::string(field) + " must be a faceId (a UUID from detect with returnFaceId)");
  }
  *out = Lower(it->get_ref<const std::string&>());
  return std::nullopt;
}

MaybeError GetFaceIdList(const nlohmann::json& body, const char* field, size_t max,
                         std::vector<std::string>* out) {
  out->clear();
  const auto it = body.find(field);
  if (it == body.end()) return Bad(std::string(field) + " is required");
  if (!it->is_array() || it->empty() || it->size() > max) {
    return Bad(std::string(field) + " must be an array of 1 to " + std::to_string(max) +
               " faceIds");
  }
  std::set<std::string> seen;
  for (const nlohmann::json& item : *it) {
    if (!item.is_string() || !IsUuid(item.get_ref<const std::string&>())) {
      return Bad(std::string(field) + " must hold faceIds (UUIDs)");
    }
    std::string id = Lower(item.get_ref<const std::string&>());
    if (!seen.insert(id).second) return Bad(std::string(field) + " holds a faceId twice");
    out->push_back(std::move(id));
  }
  return std::nullopt;
}

MaybeError GetOptionalInt(const nlohmann::json& body, const char* field, int lo, int hi,
                          int* out) {
  const auto it = body.find(field);
  if (it == body.end()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return Bad(std::string(field) + " must be an integer from " + std::to_string(lo) + " to " +
               std::to_string(hi));
  }
  *out = static_cast<int>(it->get<int64_t>());
  return std::nullopt;
}

MaybeError CheckKnownFields(const nlohmann::json& body, std::initializer_list<const char*> known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      return Bad("unknown field '" + Shown(key) + "'");
    }
  }
  return std::nullopt;
}

MaybeError GetString(const nlohmann::json& body, const char* field, bool required,
                     size_t max_bytes, std::string* out) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    if (required) return Bad(std::string(field) + " is required");
    return std::nullopt;
  }
  if (!it->is_string()) return Bad(std::string(field) + " must be a string");
  const std::string& value = it->get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    return Bad(std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (required && value.empty()) return Bad(std::string(field) + " must not be empty");
  *out = value;
  return std::nullopt;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

MaybeError GetText(const nlohmann::json& body, const char* field, bool required, size_t max_bytes,
                   std::string* out) {
  std::string value;
  if (auto e = GetString(body, field, required, max_bytes, &value)) return e;
  const auto it = body.find(field);
  const bool present = it != body.end() && !it->is_null();
  if (present && IsBlank(value)) {
    return Bad(std::string(field) + " is missing: it is empty or only whitespace");
  }
  if (present) *out = std::move(value);
  return std::nullopt;
}

namespace {

// A plain decimal number (digits, at most one point, no sign or exponent), at most 12 characters.
bool ParseDecimal(std::string_view text, float* out) {
  if (text.empty() || text.size() > 12) return false;
  int points = 0;
  int digits = 0;
  for (char c : text) {
    if (c == '.') {
      ++points;
    } else if (c >= '0' && c <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  if (points > 1 || digits == 0) return false;
  *out = std::strtof(std::string(text).c_str(), nullptr);
  return true;
}

}  // namespace

MaybeError ParseRedactParams(const httplib::Params& params, RedactParams* out) {
  *out = RedactParams{};
  std::map<std::string, std::string> values;
  if (auto e = ParseQuery(params, {"mode", "shape", "threshold", "scale", "format"}, &values)) {
    return e;
  }
  for (const auto& [name, value] : values) {
    if (name == "mode") {
      auto mode = ParseRedactMode(value);
      if (!mode.ok()) return Bad("mode must be blur, pixelate or fill");
      out->options.mode = mode.value();
    } else if (name == "shape") {
      auto shape = ParseRedactShape(value);
      if (!shape.ok()) return Bad("shape must be ellipse or box");
      out->options.shape = shape.value();
    } else if (name == "threshold") {
      float v = 0;
      if (!ParseDecimal(value, &v) || !(v > 0 && v < 1)) {
        return Bad("threshold must be a number between 0 and 1 (exclusive)");
      }
      out->options.score_threshold = v;
    } else if (name == "scale") {
      float v = 0;
      if (!ParseDecimal(value, &v) || !(v >= 1 && v <= 4)) {
        return Bad("scale must be a number from 1 to 4");
      }
      out->options.scale = v;
    } else if (name == "format") {
      if (value == "jpeg" || value == "jpg") {
        out->format = ImageFormat::kJpeg;
      } else if (value == "png") {
        out->format = ImageFormat::kPng;
      } else {
        return Bad("format must be jpeg or png");
      }
    }
  }
  return std::nullopt;
}

MaybeError ParseQuery(const httplib::Params& params, std::initializer_list<const char*> known,
                      std::map<std::string, std::string>* values) {
  values->clear();
  for (const auto& [name, value] : params) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) return Bad("unknown parameter " + Shown(name));
    if (!values->emplace(name, value).second) {
      return Bad("parameter " + Shown(name) + " is repeated");
    }
  }
  return std::nullopt;
}

MaybeError ParseListPage(const std::map<std::string, std::string>& query, ListPage* out) {
  *out = ListPage{};
  if (const auto it = query.find("start"); it != query.end()) out->start = it->second;
  if (const auto it = query.find("top"); it != query.end()) {
    return ParseIntText("top", it->second, 1, 1000, &out->top);
  }
  return std::nullopt;
}

MaybeError ParseIntText(std::string_view name, std::string_view text, int64_t lo, int64_t hi,
                        int64_t* out) {
  const bool digits = !text.empty() && text.size() <= 18 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int64_t value = digits ? std::stoll(std::string(text)) : -1;
  if (!digits || value < lo || value > hi) {
    return Bad(std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]");
  }
  *out = value;
  return std::nullopt;
}

namespace {

// RFC 9110 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

MaybeError CheckRequestHead(const httplib::Request& req) {
  if (req.version == "HTTP/1.1" && req.get_header_value_count("Host") != 1) {
    return Bad("an HTTP/1.1 request names its Host exactly once");
  }
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return Bad("malformed header name");
    }
    for (const char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7f) {
        return Bad("a control character in the value of header " + name);
      }
    }
  }
  return std::nullopt;
}

}  // namespace facet::service
