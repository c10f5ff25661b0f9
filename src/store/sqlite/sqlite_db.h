// A thin RAII layer over the SQLite C API: a connection with a statement cache, and a bound
// statement cursor. Internal to the SQLite store.
//
// Thread-safety: none; SqliteStore serialises all use of a connection with its mutex.
#ifndef FACET_SRC_STORE_SQLITE_SQLITE_DB_H_
#define FACET_SRC_STORE_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "facet/status.h"

namespace facet::store {

// Maps an SQLite result code to a Status (corruption codes become kCorruptData).
Status SqliteStatus(sqlite3* db, int rc, const std::string& context);

class Statement {
 public:
  // `finalize`: the statement is not cached and is finalised on destruction (else it is reset).
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool finalize)
      : db_(db), stmt_(stmt), finalize_(finalize) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, std::span<const uint8_t> blob);  // empty -> NULL
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& BindNull(int index);

  // Steps once: true with a row, false when done. Errors go to status().
  bool Step();
  // Steps to completion (for statements without rows).
  Status Run();
  const Status& status() const { return status_; }

  int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;
  bool IsNull(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool finalize_;
  Status status_;
};

class SqliteDb {
 public:
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create,
                                                int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // A reset statement for `sql`, prepared once and cached.
  Result<std::unique_ptr<Statement>> Prepare(const std::string& sql);
  // Runs one or more statements without results.
  Status Exec(const std::string& sql);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace facet::store

#endif  // FACET_SRC_STORE_SQLITE_SQLITE_DB_H_
