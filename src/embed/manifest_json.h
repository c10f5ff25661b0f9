// Strict reading of a model manifest's JSON (embed/manifest.h, embed/detector_manifest.h): each
// helper is kInvalidArgument "manifest: ..." naming the key (`where` is the key's path prefix,
// e.g. "input."); the parsers add the documentation pointer.
#ifndef FACET_SRC_EMBED_MANIFEST_JSON_H_
#define FACET_SRC_EMBED_MANIFEST_JSON_H_

#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "facet/status.h"

namespace facet::embed::manifest_json {

using Json = nlohmann::json;

inline constexpr size_t kMaxManifestBytes = 64 * 1024;

// kInvalidArgument "manifest: <message>".
Status Bad(const std::string& message);

// The manifest's root object (size-limited, valid JSON, an object).
Result<Json> ParseRoot(std::string_view json_text);

// Every key of `object` (named `where`) must be in `allowed`.
Status CheckKeys(const Json& object, const std::string& where,
                 const std::set<std::string>& allowed);

// The object at `key` (null when absent and not required).
Result<const Json*> Object(const Json& parent, const std::string& key, const std::string& where,
                           bool required);
// A string of at most 4096 bytes, no NUL (empty when absent and not required).
Result<std::string> String(const Json& parent, const std::string& key, const std::string& where,
                           bool required);
// A finite number in [lo, hi]; `fallback` when absent and not required.
Result<double> Number(const Json& parent, const std::string& key, const std::string& where,
                      bool required, double lo, double hi, double fallback = 0);
// A required integer in [lo, hi].
Result<int> Integer(const Json& parent, const std::string& key, const std::string& where, int lo,
                    int hi);
// The optional "sha256": 64 hex digits, lowercased; empty when absent.
Result<std::string> Sha256(const Json& root);

// The keys both kinds name their model file with: "name" (a safe model name, IsSafeModelName),
// "onnx" (not empty) and the optional "sha256".
struct ModelFileKeys {
  std::string name;
  std::string onnx;
  std::string sha256;
};
Status ParseModelFileKeys(const Json& root, ModelFileKeys* keys);

// The input keys both kinds share: "layout" (NCHW/NHWC), "channels" (RGB/BGR), "mean" (3 numbers)
// and "scale".
struct InputFacts {
  bool nhwc = false;
  bool bgr = false;
  std::array<double, 3> mean = {0, 0, 0};
  double scale = 1.0;
};
Status ParseInputFacts(const Json& input, InputFacts* facts);

// Appends the documentation pointer to an error's message.
Status WithDocs(const Status& status, const char* docs);

}  // namespace facet::embed::manifest_json

// Assigns the value of a Result-returning expression, or returns its status.
#define FACET_MANIFEST_ASSIGN(lhs, expr)                  \
  do {                                                    \
    auto facet_value_ = (expr);                           \
    if (!facet_value_.ok()) return facet_value_.status(); \
    (lhs) = facet_value_.value();                         \
  } while (false)

#endif  // FACET_SRC_EMBED_MANIFEST_JSON_H_
