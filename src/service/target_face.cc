#include "service/target_face.h"

#include <charconv>
#include <string>

namespace facet::service {

MaybeError ParseTargetFace(std::string_view text, Box* out) {
  const ApiError bad{400, "BadArgument",
                     "targetFace must be left,top,width,height in pixels (non-negative integers, "
                     "width and height at least 1)"};
  int values[4] = {0, 0, 0, 0};
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t end = i < 3 ? text.find(',', start) : text.size();
    if (end == std::string_view::npos || end == start || end - start > 6) return bad;
    const std::string_view part = text.substr(start, end - start);
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), values[i]);
    if (ec != std::errc() || ptr != part.data() + part.size() || values[i] < 0) return bad;
    start = end + 1;
  }
  if (values[2] < 1 || values[3] < 1) return bad;
  *out = Box{.x = static_cast<float>(values[0]),
             .y = static_cast<float>(values[1]),
             .width = static_cast<float>(values[2]),
             .height = static_cast<float>(values[3])};
  return std::nullopt;
}

}  // namespace facet::service
