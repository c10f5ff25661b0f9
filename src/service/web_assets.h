// The web UI's files (web/), embedded in the binary at build time (cmake/embed_web.cmake).
#ifndef FACET_SRC_SERVICE_WEB_ASSETS_H_
#define FACET_SRC_SERVICE_WEB_ASSETS_H_

#include <string_view>

namespace facet::service {

struct WebAsset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

// The asset served at `path` ("/" is "/index.html"), or null.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace facet::service

#endif  // FACET_SRC_SERVICE_WEB_ASSETS_H_
