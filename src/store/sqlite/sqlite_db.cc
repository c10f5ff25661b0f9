#include "store/sqlite/sqlite_db.h"

#include <cstring>

namespace facet::store {

Status SqliteStatus(sqlite3* db, int rc, const std::string& context) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string message = context + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::CorruptData(message + " (the store file is damaged or not a facet store)");
    case SQLITE_CANTOPEN:
      return Status::NotFound(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::FailedPrecondition(message + " (another process holds the store's lock)");
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(message);
    case SQLITE_FULL:
      return Status::ResourceExhausted(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::FailedPrecondition(message);
    default:
      return Status::Internal(message);
  }
}

Statement::~Statement() {
  if (finalize_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  if (status_.ok()) status_ = SqliteStatus(db_, sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (status_.ok()) status_ = SqliteStatus(db_, sqlite3_bind_double(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::Bind(int index, const std::string& value) {
  if (status_.ok()) {
    status_ = SqliteStatus(db_,
                           sqlite3_bind_text(stmt_, index, value.data(),
                                             static_cast<int>(value.size()), SQLITE_TRANSIENT),
                           "bind");
  }
  return *this;
}

Statement& Statement::Bind(int index, std::span<const uint8_t> blob) {
  if (blob.empty()) return BindNull(index);
  if (status_.ok()) {
    status_ = SqliteStatus(db_,
                           sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(),
                                               SQLITE_TRANSIENT),
                           "bind");
  }
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Statement& Statement::BindNull(int index) {
  if (status_.ok()) status_ = SqliteStatus(db_, sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

bool Statement::Step() {
  if (!status_.ok()) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = SqliteStatus(db_, rc, "query");
  return false;
}

Status Statement::Run() {
  while (Step()) {
  }
  return status_;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
}

std::vector<uint8_t> Statement::Blob(int column) const {
  const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return blob != nullptr ? std::vector<uint8_t>(blob, blob + size) : std::vector<uint8_t>();
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<int64_t> Statement::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create,
                                                 int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(db, rc, path);
    sqlite3_close_v2(db);
    if ((rc & 0xff) == SQLITE_CANTOPEN) {
      return Status::NotFound(path + ": store not found (create it with `facet init`)");
    }
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Statement>> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && sqlite3_stmt_busy(it->second) == 0) {
    return std::make_unique<Statement>(db_, it->second, false);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "prepare");
  if (it == cache_.end()) {
    cache_.emplace(sql, stmt);
    return std::make_unique<Statement>(db_, stmt, false);
  }
  // The cached statement is in use (a nested query): this one is finalised after use.
  return std::make_unique<Statement>(db_, stmt, true);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    Status status = SqliteStatus(db_, rc, "sql");
    return Status(status.code(), "sql: " + message);
  }
  return Status::Ok();
}

}  // namespace facet::store
