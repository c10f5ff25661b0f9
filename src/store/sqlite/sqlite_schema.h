// The embedded store's SQL schema (docs/store_format.md) and the decoding of its rows into the
// records of template_store.h. Stateless; safe from any thread.
#ifndef FACET_SRC_STORE_SQLITE_SQLITE_SCHEMA_H_
#define FACET_SRC_STORE_SQLITE_SQLITE_SCHEMA_H_

#include <cstddef>
#include <string>

#include "store/record_rows.h"
#include "store/sqlite/sqlite_db.h"
#include "store/template_store.h"

namespace facet::store {

// PRAGMA application_id of a facet store: "FCET".
inline constexpr int kApplicationId = 0x46434554;

// The DDL of a new store (schema version kSchemaVersion).
extern const char* const kSchema;

// Brings a store of an older schema version to kSchemaVersion in one transaction (BEGIN
// IMMEDIATE): the missing steps, PRAGMA user_version and meta.schema_version. The version is read
// again under the write lock, so of two processes opening the same old store one migrates and the
// other finds it done. Nothing is changed when a step fails.
Status MigrateSchema(SqliteDb& db);

// One row of a SELECT of the matching column list (kGalleryColumns, ..., FaceColumns of
// store/record_rows.h).
GalleryRecord ReadGallery(const Statement& s);
PersonRecord ReadPerson(const Statement& s);
ConsentRecord ReadConsent(const Statement& s);
FaceRecord ReadFace(const Statement& s);

// "?, ?, ..." with n placeholders, for IN (...) lists.
std::string Placeholders(size_t n);

}  // namespace facet::store

#endif  // FACET_SRC_STORE_SQLITE_SQLITE_SCHEMA_H_
