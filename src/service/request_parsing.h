// Parsing of what clients send: query parameters, image bodies (raw or multipart), JSON bodies,
// faceIds. Pure functions over httplib::Request, fuzzed by service_fuzz.cc.
//
// Thread-safety: reentrant.
#ifndef FACET_SRC_SERVICE_REQUEST_PARSING_H_
#define FACET_SRC_SERVICE_REQUEST_PARSING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "facet/engine.h"
#include "facet/image.h"
#include "facet/redact.h"

namespace facet::service {

// A refusal: HTTP status, error code, message for the client.
// The largest JSON body any endpoint takes (413 above it; refused from the declared
// Content-Length before the body is read).
inline constexpr size_t kMaxJsonBytes = 1 << 20;

struct ApiError {
  int status = 400;
  std::string code = "BadArgument";
  std::string message;
};
using MaybeError = std::optional<ApiError>;

// Query parameters of detect (Azure Face names; docs/service.md).
struct DetectParams {
  bool return_face_id = false;  // Azure's default is true; facet's is false (faceIds are opt-in)
  bool return_landmarks = false;
  bool return_recognition_model = false;
  bool quality = false;          // faceAttributes.qualityForRecognition
  bool head_pose = false;        // faceAttributes.headPose
  bool quality_details = false;  // faceAttributes.qualityDetails (facet's own)
  bool blur = false;             // faceAttributes.blur (face_attributes.h)
  bool exposure = false;         // faceAttributes.exposure
  bool noise = false;            // faceAttributes.noise
  // As the caller named it: facet's own name or Azure's (recognition_04); empty: the default.
  std::string recognition_model;
  DetectorMode detector = DetectorMode::kFast;
  int face_id_ttl_s = 0;  // 0: the server's maximum
};

// Unknown or repeated parameters, malformed booleans and attributes facet does not compute are
// errors: the sensitive ones (age, gender, emotion, ...) are refused as never inferred, the ones
// facet has no model for (mask, glasses, accessories, occlusion) by name. detectionModel takes
// Azure's names (detection_01..03) and facet's (azure_compat.h).
MaybeError ParseDetectParams(const httplib::Params& params, DetectParams* out);

// Query parameters of redact (docs/service.md): mode (blur, pixelate, fill), shape (ellipse,
// box), threshold (0..1, exclusive), scale (1..4), format (jpeg, png). Absent ones keep
// RedactOptions' defaults; the ranges are the redaction library's own (checked again there).
struct RedactParams {
  RedactOptions options;
  ImageFormat format = ImageFormat::kJpeg;
};
MaybeError ParseRedactParams(const httplib::Params& params, RedactParams* out);

// Content-Type's media type, lowercased, without parameters ("image/jpeg").
std::string MediaType(std::string_view content_type);

// The RFC 9112/9110 checks of a request head that cpp-httplib 0.11 does not make (400): an
// HTTP/1.1 request names its Host exactly once; field names are tokens (no whitespace: a
// "Transfer-Encoding : chunked" that httplib takes as another field is how requests are smuggled
// past a proxy that reads it as chunked); field values hold no control character but HTAB (NUL,
// a bare CR).
MaybeError CheckRequestHead(const httplib::Request& req);

// The encoded image of a request: the body for application/octet-stream and image/*, the part
// named "image" (or the only part) of multipart/form-data. JSON bodies (Azure's {"url": ...}) are
// refused: facet never fetches URLs. 415 for other types, 400 for an empty image.
MaybeError RequestImage(const httplib::Request& req, std::string_view* bytes);

// The body as a JSON object: 415 unless application/json, 400 if malformed, nested deeper than
// 32 levels, or not an object; 413 above 1 MiB.
MaybeError ParseJsonObject(const httplib::Request& req, nlohmann::json* out);

// True when `s` is a lowercase-or-uppercase RFC 4122 UUID ("xxxxxxxx-xxxx-...").
bool IsUuid(std::string_view s);

// Reads a required faceId field of `body`.
MaybeError GetFaceId(const nlohmann::json& body, const char* field, std::string* out);
// Reads a required array of 1..max distinct faceIds.
MaybeError GetFaceIdList(const nlohmann::json& body, const char* field, size_t max,
                         std::vector<std::string>* out);
// Reads an optional integer field in [lo, hi]; `out` keeps its value when the field is absent.
MaybeError GetOptionalInt(const nlohmann::json& body, const char* field, int lo, int hi, int* out);
// Fails on a field of `body` that is not in `known` (catches typos and unsupported Azure options).
MaybeError CheckKnownFields(const nlohmann::json& body, std::initializer_list<const char*> known);
// Reads a string field of at most `max_bytes` bytes. Absent: an error when `required`, else `out`
// is left as is. Not a string, or too long: an error.
MaybeError GetString(const nlohmann::json& body, const char* field, bool required,
                     size_t max_bytes, std::string* out);
// As GetString, for text written by people (names, purposes, who granted a consent): a value of
// only whitespace is refused as missing (present or not, it says nothing).
MaybeError GetText(const nlohmann::json& body, const char* field, bool required, size_t max_bytes,
                   std::string* out);
// True for an empty string or one of only whitespace.
bool IsBlank(std::string_view s);
// Query parameters: fails on one not in `known` or given twice; fills `values` (name -> value)
// with those present.
MaybeError ParseQuery(const httplib::Params& params, std::initializer_list<const char*> known,
                      std::map<std::string, std::string>* values);
// Azure's paging of lists: ids greater than `start`, at most `top` (1..1000, default 1000), in
// id order. Read from a ParseQuery result.
struct ListPage {
  std::string start;
  int64_t top = 1000;
};
MaybeError ParseListPage(const std::map<std::string, std::string>& query, ListPage* out);
// A decimal integer in [lo, hi].
MaybeError ParseIntText(std::string_view name, std::string_view text, int64_t lo, int64_t hi,
                        int64_t* out);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_REQUEST_PARSING_H_
