// The PostgreSQL store's change feed: a connection of its own that LISTENs to facet_changes and
// reads the change log's head and rows (store::ChangeFeed). Internal to the PostgreSQL store.
//
// Thread-safety: none; one thread (a node's change follower) uses it.
#ifndef FACET_SRC_STORE_POSTGRES_PG_CHANGE_FEED_H_
#define FACET_SRC_STORE_POSTGRES_PG_CHANGE_FEED_H_

#include <memory>
#include <string>

#include "facet/status.h"
#include "store/template_store.h"

namespace facet::store {

// Connects with `conninfo` (a libpq URI; with several hosts and target_session_attrs=read-write,
// to the primary), runs `setup` and LISTENs to facet_changes; every statement is answered within
// `timeout_ms` or the feed reports the database unavailable and reconnects at its next call.
Result<std::unique_ptr<ChangeFeed>> OpenPostgresChangeFeed(const std::string& conninfo,
                                                           const std::string& setup,
                                                           int timeout_ms);

}  // namespace facet::store

#endif  // FACET_SRC_STORE_POSTGRES_PG_CHANGE_FEED_H_
