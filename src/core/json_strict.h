// JSON parsing that refuses ambiguity: nlohmann::json keeps the last of two values under the same
// key, so {"faceId1": "a", "faceId1": "b"} means "b" to facet and perhaps "a" to whatever checked
// the text before it (a proxy, a log reader, a reviewer). Such input is refused, not guessed at.
//
// Thread-safety: a pure function.
#ifndef FACET_SRC_CORE_JSON_STRICT_H_
#define FACET_SRC_CORE_JSON_STRICT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace facet {

// As nlohmann::json::parse(text, nullptr, false): a discarded value for invalid JSON; a discarded
// value too when an object holds a key twice, whose name is then put in `*duplicate_key` (when
// not null; left untouched otherwise).
nlohmann::json ParseJsonRefusingDuplicateKeys(std::string_view text,
                                              std::string* duplicate_key = nullptr);

}  // namespace facet

#endif  // FACET_SRC_CORE_JSON_STRICT_H_
