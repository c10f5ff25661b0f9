#include "core/json_strict.h"

#include <set>
#include <vector>

namespace facet {

nlohmann::json ParseJsonRefusingDuplicateKeys(std::string_view text, std::string* duplicate_key) {
  using Event = nlohmann::json::parse_event_t;
  std::vector<std::set<std::string>> open_objects;  // the keys seen in each enclosing object
  bool duplicate = false;
  std::string first_duplicate;
  nlohmann::json parsed = nlohmann::json::parse(
      text,
      [&](int /*depth*/, Event event, nlohmann::json& value) {
        if (event == Event::object_start) {
          open_objects.emplace_back();
        } else if (event == Event::object_end) {
          if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty() && value.is_string() &&
                   !open_objects.back().insert(value.get<std::string>()).second && !duplicate) {
          duplicate = true;
          first_duplicate = value.get<std::string>();
        }
        return true;
      },
      /*allow_exceptions=*/false);
  if (!duplicate) return parsed;
  if (duplicate_key != nullptr) *duplicate_key = first_duplicate;
  return nlohmann::json::value_t::discarded;
}

}  // namespace facet
