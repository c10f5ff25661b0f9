// Default locations of the store and the master key (ResolveGalleriesOptions).
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "facet/gallery.h"
#include "store/template_store.h"

namespace facet {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string Home() {
  std::string home = Env("HOME");
  if (home.empty()) {
    const passwd* pw = getpwuid(getuid());
    if (pw != nullptr && pw->pw_dir != nullptr) home = pw->pw_dir;
  }
  return home.empty() ? "." : home;
}

std::string XdgDir(const char* variable, const char* fallback) {
  const std::string dir = Env(variable);
  return (dir.empty() ? Home() + "/" + fallback : dir) + "/facet";
}

}  // namespace

GalleriesOptions ResolveGalleriesOptions(const std::string& store, const std::string& key_file) {
  GalleriesOptions options;
  options.store = store;
  if (options.store.empty()) options.store = Env("FACET_STORE");
  if (options.store.empty()) options.store = XdgDir("XDG_DATA_HOME", ".local/share") + "/store.db";
  if (!key_file.empty()) {
    options.key_file = key_file;
  } else if (!Env("FACET_MASTER_KEY").empty()) {
    options.master_key_hex = Env("FACET_MASTER_KEY");
  } else if (!Env("FACET_KEY_FILE").empty()) {
    options.key_file = Env("FACET_KEY_FILE");
  } else {
    options.key_file = XdgDir("XDG_CONFIG_HOME", ".config") + "/master.key";
  }
  return options;
}

std::string StoreFilePath(const std::string& store) {
  constexpr std::string_view kPrefix = "sqlite:";
  return store.rfind(kPrefix, 0) == 0 ? store.substr(kPrefix.size()) : store;
}

bool IsDatabaseStore(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

bool IsStoreUnavailable(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find(store::kStoreUnavailableMarker) != std::string::npos;
}

std::string StoreForDisplay(const std::string& store) {
  if (!IsDatabaseStore(store)) return store;
  const size_t start = store.find("://") + 3;
  const size_t at = store.find('@', start);
  const size_t slash = store.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return store;
  const size_t colon = store.find(':', start);
  if (colon == std::string::npos || colon > at) return store;
  return store.substr(0, colon + 1) + "***" + store.substr(at);
}

}  // namespace facet
