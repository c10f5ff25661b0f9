// The PostgreSQL change feed: LISTEN/NOTIFY as a wake-up, the head and rows read by number.
#include "store/postgres/pg_change_feed.h"

#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_txn.h"

namespace facet::store {
namespace {

using pg::Params;

class PostgresChangeFeed final : public ChangeFeed {
 public:
  explicit PostgresChangeFeed(std::unique_ptr<pg::PgConnection> conn) : conn_(std::move(conn)) {}

  Status WaitForNotification(int timeout_ms) override {
    FACET_RETURN_IF_ERROR(EnsureConnected());
    auto woken = conn_->WaitForNotification(timeout_ms);
    return woken.ok() ? Status::Ok() : woken.status();
  }

  Result<ChangeHead> ReadHead() override {
    FACET_RETURN_IF_ERROR(EnsureConnected());
    // Outside a transaction block, so a standby (which holds the row too) is told apart: the
    // session must be on a read-write server, the primary.
    auto r = conn_->Exec("SELECT seq, hash, pg_is_in_recovery() FROM change_head");
    if (!r.ok()) return r.status();
    if (r->rows() != 1) return Status::CorruptData("the change log's head row is missing");
    if (r->Bool(0, 2)) {
      // A standby answers with what it replayed: no proof of what the primary committed.
      return Status::FailedPrecondition(std::string("PostgreSQL store: connected to a standby (") +
                                        kStoreUnavailableMarker + ")");
    }
    ChangeHead head;
    head.seq = r->Int(0, 0);
    head.hash = r->Bytes(0, 1);
    return head;
  }

  Result<std::vector<ChangeRecord>> ReadChanges(int64_t after_seq, int64_t up_to_seq,
                                                int limit) override {
    FACET_RETURN_IF_ERROR(EnsureConnected());
    auto r = conn_->Exec(
        "SELECT seq, time_ms, payload, previous_hash, hash FROM changes "
        "WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        Params().Add(after_seq).Add(up_to_seq).Add(int64_t{limit}));
    if (!r.ok()) return r.status();
    std::vector<ChangeRecord> out;
    out.reserve(static_cast<size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
      ChangeRecord c;
      c.seq = r->Int(i, 0);
      c.time_ms = r->Int(i, 1);
      c.payload = r->Text(i, 2);
      c.previous_hash = r->Bytes(i, 3);
      c.hash = r->Bytes(i, 4);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status Read(const std::function<Status(StoreTxn&)>& fn) override {
    FACET_RETURN_IF_ERROR(EnsureConnected());
    FACET_RETURN_IF_ERROR(conn_->Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PostgresTxn txn(*conn_, false);
    const Status status = fn(txn);
    const Status ended = conn_->Run(status.ok() ? "COMMIT" : "ROLLBACK");
    return status.ok() ? ended : status;
  }

 private:
  Status EnsureConnected() {
    if (conn_->healthy()) return Status::Ok();
    return conn_->Reconnect();
  }

  std::unique_ptr<pg::PgConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<ChangeFeed>> OpenPostgresChangeFeed(const std::string& conninfo,
                                                           const std::string& setup,
                                                           int timeout_ms) {
  auto conn = pg::PgConnection::Connect(
      conninfo, setup + (setup.empty() ? "" : "; ") + "LISTEN facet_changes");
  if (!conn.ok()) return conn.status();
  (*conn)->set_timeout_ms(timeout_ms);
  return std::unique_ptr<ChangeFeed>(std::make_unique<PostgresChangeFeed>(std::move(conn).value()));
}

}  // namespace facet::store
