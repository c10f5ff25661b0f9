#include "store/postgres/pg_conn.h"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "store/template_store.h"

namespace facet::store::pg {

Params& Params::Add(const std::string& text) {
  values_.push_back(text);
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

Params& Params::Add(int64_t value) { return Add(std::to_string(value)); }

Params& Params::Add(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return Add(std::string(text));
}

Params& Params::Add(bool value) { return Add(std::string(value ? "true" : "false")); }

Params& Params::Add(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return AddNull();
  values_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  null_.push_back(false);
  formats_.push_back(1);
  return *this;
}

Params& Params::Add(const std::optional<int64_t>& value) { return value ? Add(*value) : AddNull(); }

Params& Params::AddNull() {
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> Params::Values() const {
  std::vector<const char*> out;
  for (size_t i = 0; i < values_.size(); ++i) out.push_back(null_[i] ? nullptr : values_[i].data());
  return out;
}

std::vector<int> Params::Lengths() const {
  std::vector<int> out;
  for (const std::string& v : values_) out.push_back(static_cast<int>(v.size()));
  return out;
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_, row, column);
  const char* end = text + PQgetlength(result_, row, column);
  int64_t value = 0;
  std::from_chars(text, end, value);
  return value;
}

double PgResult::Real(int row, int column) const {
  return std::strtod(PQgetvalue(result_, row, column), nullptr);
}

std::vector<uint8_t> PgResult::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (bytes == nullptr) return {};
  std::vector<uint8_t> out(bytes, bytes + length);
  PQfreemem(bytes);
  return out;
}

std::optional<int64_t> PgResult::OptionalInt(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

bool IsPostgresLocation(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo,
                                                            const std::string& setup) {
  // A default connect_timeout (the URI's own, if any, comes later and wins): an unreachable host
  // must not hold a reconnection for the kernel's TCP timeout.
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {"3", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Internal("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return Status::FailedPrecondition("cannot connect to the PostgreSQL store: " + message + " (" +
                                      kStoreUnavailableMarker + ")");
  }
  auto out = std::unique_ptr<PgConnection>(new PgConnection(conn, conninfo, setup));
  FACET_RETURN_IF_ERROR(out->Run("SET client_min_messages = warning"));
  if (!setup.empty()) FACET_RETURN_IF_ERROR(out->ExecScript(setup));
  return out;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return !must_reconnect_ && PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::Reconnect() {
  auto fresh = Connect(conninfo_, setup_);
  if (!fresh.ok()) return fresh.status();
  PQfinish(conn_);
  conn_ = (*fresh)->conn_;
  (*fresh)->conn_ = nullptr;
  must_reconnect_ = false;
  return Status::Ok();
}

std::string PgConnection::Describe() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  const char* db = PQdb(conn_);
  return std::string("postgresql://") + (host ? host : "") + ":" + (port ? port : "") + "/" +
         (db ? db : "");
}

Status PgConnection::ResultStatus(PGresult* result, const std::string& sql) {
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  const std::string verb = sql.substr(0, sql.find(' '));
  message = "PostgreSQL store (" + verb + "): " + message;
  const std::string cls = sqlstate.substr(0, 2);
  if (PQstatus(conn_) != CONNECTION_OK || sqlstate.empty() || cls == "08" || cls == "57" ||
      sqlstate == "25006") {
    // Lost the server, it shut down, or it is (now) a standby: find the primary next time.
    must_reconnect_ = true;
    return Status::FailedPrecondition(message + " (" + kStoreUnavailableMarker + ")");
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    // Another writer held the lock too long (e.g. its commit waits for the synchronous standby
    // during a failover): nothing was written; the service answers 503, retry.
    return Status::FailedPrecondition(message + " (a concurrent transaction: " +
                                      kStoreUnavailableMarker + ")");
  }
  if (cls == "23") return Status::InvalidArgument(message);
  if (cls == "53") return Status::ResourceExhausted(message);
  if (sqlstate == "XX001" || sqlstate == "XX002") return Status::CorruptData(message);
  return Status::Internal(message);
}

Result<PgResult> PgConnection::Exec(const std::string& sql, const Params& params) {
  if (must_reconnect_) {
    return Status::FailedPrecondition(std::string("PostgreSQL store: the connection was lost (") +
                                      kStoreUnavailableMarker + ")");
  }
  const std::vector<const char*> values = params.Values();
  const std::vector<int> lengths = params.Lengths();
  if (PQsendQueryParams(conn_, sql.c_str(), params.size(), nullptr, values.data(), lengths.data(),
                        params.Formats().data(), 0) == 0) {
    return ResultStatus(nullptr, sql);
  }
  // Wait for the whole answer at most timeout_ms_: a server that stopped answering (cut off, or
  // frozen) must not hold this connection, and every request behind it, for ever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  while (PQisBusy(conn_) != 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    const int ready = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (ready == 0 || (ready < 0 && errno != EINTR)) {
      // Abandon the connection: its state is unknown (a COMMIT may or may not have happened).
      must_reconnect_ = true;
      return Status::FailedPrecondition("PostgreSQL store (" + sql.substr(0, sql.find(' ')) +
                                        "): no answer within " + std::to_string(timeout_ms_) +
                                        " ms (" + kStoreUnavailableMarker + ")");
    }
    if (ready > 0 && PQconsumeInput(conn_) == 0) return ResultStatus(nullptr, sql);
  }
  PgResult owned(PQgetResult(conn_));
  // Drain to the end of this command (exactly one result is expected).
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  FACET_RETURN_IF_ERROR(ResultStatus(owned.get(), sql));
  return owned;
}

Result<bool> PgConnection::WaitForNotification(int timeout_ms) {
  const auto drain = [this] {
    bool any = false;
    while (PGnotify* notify = PQnotifies(conn_)) {
      any = true;
      PQfreemem(notify);
    }
    return any;
  };
  if (!healthy()) {
    return Status::FailedPrecondition(std::string("PostgreSQL store: the connection was lost (") +
                                      kStoreUnavailableMarker + ")");
  }
  if (drain()) return true;
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&pfd, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) {
    must_reconnect_ = true;
    return Status::FailedPrecondition(std::string("PostgreSQL store: poll failed (") +
                                      kStoreUnavailableMarker + ")");
  }
  if (ready > 0 && PQconsumeInput(conn_) == 0) {
    must_reconnect_ = true;
    return Status::FailedPrecondition(std::string("PostgreSQL store: the connection was lost (") +
                                      kStoreUnavailableMarker + ")");
  }
  return drain();
}

Status PgConnection::Run(const std::string& sql, const Params& params) {
  auto result = Exec(sql, params);
  return result.ok() ? Status::Ok() : result.status();
}

Status PgConnection::ExecScript(const std::string& sql) {
  // PQexec runs the statements in order and returns the last result, or the first error.
  PGresult* result = PQexec(conn_, sql.c_str());
  PgResult owned(result);
  return ResultStatus(result, "script");
}

}  // namespace facet::store::pg
