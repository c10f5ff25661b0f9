// OpenStore(): picks the backend from the location's scheme. One case per backend folder.
#include "store/template_store.h"

#include <memory>
#include <string>

#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace facet::store {

Result<std::unique_ptr<TemplateStore>> OpenStore(const StoreOpenOptions& options) {
  std::string path = options.location;
  const std::string scheme_sqlite = "sqlite:";
  if (pg::IsPostgresLocation(path)) return OpenPostgresStore(options);
  if (path.rfind(scheme_sqlite, 0) == 0) {
    path = path.substr(scheme_sqlite.size());
  } else if (path.find("://") != std::string::npos) {
    return Status::InvalidArgument(options.location +
                                   ": unsupported store location (SQLite files and "
                                   "postgresql:// URIs are built in)");
  }
  return OpenSqliteStore(path, options);
}

}  // namespace facet::store
