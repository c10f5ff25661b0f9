// A thin RAII layer over libpq: a connection that reconnects (following a failover through a
// multi-host connection string), parameters, and results. Internal to the PostgreSQL store.
//
// Thread-safety: none; PostgresStore serialises all use of a connection with its mutex.
#ifndef FACET_SRC_STORE_POSTGRES_PG_CONN_H_
#define FACET_SRC_STORE_POSTGRES_PG_CONN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "facet/status.h"

namespace facet::store::pg {

// Query parameters: text values, binary bytea values, or NULL.
class Params {
 public:
  Params& Add(const std::string& text);
  Params& Add(int64_t value);
  Params& Add(double value);
  Params& Add(bool value);
  Params& Add(std::span<const uint8_t> bytes);  // bytea; empty -> NULL (as the SQLite store)
  Params& Add(const std::optional<int64_t>& value);
  Params& AddNull();

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Values() const;
  std::vector<int> Lengths() const;
  const std::vector<int>& Formats() const { return formats_; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
};

// One query's rows (text format).
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  ~PgResult() { PQclear(result_); }
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const { return PQntuples(result_); }
  PGresult* get() const { return result_; }
  bool IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  double Real(int row, int column) const;
  bool Bool(int row, int column) const { return Text(row, column) == "t"; }
  std::vector<uint8_t> Bytes(int row, int column) const;  // bytea; NULL -> empty
  std::optional<int64_t> OptionalInt(int row, int column) const;

 private:
  PGresult* result_;
};

class PgConnection {
 public:
  // Connects with a libpq connection string or URI (postgresql://...) and runs `setup` (SET
  // statements for the session; run again after every reconnection).
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                       const std::string& setup = "");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement, waiting at most timeout_ms for its answer (then the connection is given
  // up: kFailedPrecondition with kStoreUnavailableMarker); an error result becomes a Status.
  Result<PgResult> Exec(const std::string& sql, const Params& params = Params());
  Status Run(const std::string& sql, const Params& params = Params());
  // Runs several statements without parameters (the schema).
  Status ExecScript(const std::string& sql);

  // False once the connection broke (or the server turned read-only under us): Reconnect next.
  bool healthy() const;
  // Connects again with the same string: libpq tries every host and, with
  // target_session_attrs=read-write, settles on the current primary.
  Status Reconnect();
  // "postgresql://HOST:PORT/DB" of the current server, without user or password.
  std::string Describe() const;
  PGconn* handle() const { return conn_; }
  void set_timeout_ms(int timeout_ms) { timeout_ms_ = timeout_ms; }
  // The connection string and session set-up it was opened with (for a second connection).
  const std::string& conninfo() const { return conninfo_; }
  const std::string& setup() const { return setup_; }
  // Waits at most `timeout_ms` for a notification of a channel this session LISTENs to and
  // drains the pending ones: true when one arrived. kFailedPrecondition with
  // kStoreUnavailableMarker when the connection broke (Reconnect next).
  Result<bool> WaitForNotification(int timeout_ms);

 private:
  PgConnection(PGconn* conn, std::string conninfo, std::string setup)
      : conn_(conn), conninfo_(std::move(conninfo)), setup_(std::move(setup)) {}
  Status ResultStatus(PGresult* result, const std::string& sql);

  PGconn* conn_;
  std::string conninfo_;
  std::string setup_;
  bool must_reconnect_ = false;
  int timeout_ms_ = 5'000;
};

// True for a location that names a PostgreSQL database (postgresql:// or postgres:// URI).
bool IsPostgresLocation(const std::string& location);

}  // namespace facet::store::pg

#endif  // FACET_SRC_STORE_POSTGRES_PG_CONN_H_
