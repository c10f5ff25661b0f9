// The PostgreSQL store: the galleries' rows in a PostgreSQL 15 database (one primary, e.g. kept
// highly available by Patroni), behind the same TemplateStore interface as the SQLite store.
// docs/store_format.md (tables) and docs/cluster.md (running several facet nodes on one).
//
// Every write transaction first locks the single change_head row, so writers are serialised
// across processes and machines (the hash-chained audit log needs one order), and a write that
// changed a gallery appends one row to the gapless, hash-chained change log and NOTIFYs
// `facet_changes` before it commits. Reads run on a REPEATABLE READ snapshot.
//
// Thread-safety: Write/Read may be called from any thread (one connection, one mutex).
#ifndef FACET_SRC_STORE_POSTGRES_POSTGRES_STORE_H_
#define FACET_SRC_STORE_POSTGRES_POSTGRES_STORE_H_

#include <memory>

#include "facet/status.h"
#include "store/template_store.h"

namespace facet::store {

// The version of schema.sql; a database with a newer one is refused.
inline constexpr int kPostgresSchemaVersion = 3;

// schema.sql, embedded at build time.
extern const char* const kPostgresSchema;
// migrations/0002.sql (version 1 -> 2), embedded at build time.
extern const char* const kPostgresMigration0002;
// migrations/0003.sql (version 2 -> 3: row MACs, sealed consent details and face sources).
extern const char* const kPostgresMigration0003;

// Opens (options.create: creates the schema in) the database named by options.location, a
// libpq URI (postgresql://[user@]host[:port][,host2[:port2]...]/db?target_session_attrs=
// read-write...). An unreachable server is kFailedPrecondition; a database without a facet
// store kNotFound (or, with create, the store is made); one with foreign tables kCorruptData.
Result<std::unique_ptr<TemplateStore>> OpenPostgresStore(const StoreOpenOptions& options);

}  // namespace facet::store

#endif  // FACET_SRC_STORE_POSTGRES_POSTGRES_STORE_H_
