// The embedded default backend of TemplateStore: one SQLite file (sqlite_store.cc), its schema
// and migrations (sqlite_schema.cc) and a thin layer over the SQLite C API (sqlite_db.cc).
// Reached through OpenStore() (template_store.h), never directly by the gallery layer.
#ifndef FACET_SRC_STORE_SQLITE_SQLITE_STORE_H_
#define FACET_SRC_STORE_SQLITE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "facet/status.h"
#include "store/template_store.h"

namespace facet::store {

// Opens (or creates) the SQLite store file at `path` (the location without its "sqlite:"
// scheme), with OpenStore()'s contract for files, modes and errors.
Result<std::unique_ptr<TemplateStore>> OpenSqliteStore(const std::string& path,
                                                       const StoreOpenOptions& options);

// Creates the empty store file at `path` with mode 0600 whatever the umask (sqlite_files.cc).
Status CreatePrivateFile(const std::string& path);

}  // namespace facet::store

#endif  // FACET_SRC_STORE_SQLITE_SQLITE_STORE_H_
