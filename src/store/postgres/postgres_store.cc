// The PostgreSQL store: transactions, the change log, opening and creating.
#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>

#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/postgres_txn.h"

namespace facet::store {
namespace {

using pg::Params;

// Schema migrations, in order: migrations/NNNN.sql takes version NNNN-1 to NNNN.
struct PostgresMigration {
  int to_version;
  const char* sql;
};
const PostgresMigration kPostgresMigrations[] = {{2, kPostgresMigration0002},
                                                 {3, kPostgresMigration0003}};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PostgresStore final : public TemplateStore {
 public:
  explicit PostgresStore(std::unique_ptr<pg::PgConnection> conn)
      : conn_(std::move(conn)), describe_(conn_->Describe()) {}

  Status Write(const std::function<Status(StoreTxn&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    FACET_RETURN_IF_ERROR(Begin("BEGIN ISOLATION LEVEL READ COMMITTED"));
    // The lock on change_head serialises writers; READ COMMITTED lets every statement after it
    // see all that committed before it was granted.
    auto head = conn_->Exec("SELECT seq, hash FROM change_head FOR UPDATE");
    if (!head.ok() || head->rows() != 1) {
      (void)conn_->Run("ROLLBACK");
      return head.ok() ? Status::CorruptData(describe_ + ": change_head row missing")
                       : head.status();
    }
    const int64_t seq = head->Int(0, 0);
    const std::vector<uint8_t> hash = head->Bytes(0, 1);
    Status status = CheckHistory(seq, hash);
    PostgresTxn txn(*conn_, true);
    if (status.ok()) status = fn(txn);
    std::vector<uint8_t> next_hash;
    if (status.ok() && !txn.changes().empty()) {
      const std::string payload = txn.changes().ToJson();
      next_hash = ChangeLogHash(hash, seq + 1, payload);
      Params p;
      p.Add(seq + 1).Add(NowMs()).Add(payload).Add(std::span<const uint8_t>(hash));
      p.Add(std::span<const uint8_t>(next_hash));
      status = conn_->Run(
          "INSERT INTO changes(seq, time_ms, payload, previous_hash, hash) "
          "VALUES($1, $2, $3, $4, $5)",
          p);
      if (status.ok()) {
        status = conn_->Run("UPDATE change_head SET seq = $1, hash = $2",
                            Params().Add(seq + 1).Add(std::span<const uint8_t>(next_hash)));
      }
      if (status.ok()) {
        status = conn_->Run("SELECT pg_notify('facet_changes', $1)",
                            Params().Add(std::to_string(seq + 1)));
      }
    }
    if (status.ok() && PQtransactionStatus(conn_->handle()) != PQTRANS_INTRANS) {
      status = Status::Internal(describe_ + ": the transaction failed");
    }
    if (!status.ok()) {
      (void)conn_->Run("ROLLBACK");
      return status;
    }
    const Status committed = conn_->Run("COMMIT");
    if (!committed.ok()) {
      return Status::FailedPrecondition(committed.message() +
                                        " (the write may or may not have been committed)");
    }
    if (!txn.changes().empty()) {
      known_seq_ = seq + 1;
      known_hash_ = next_hash;
    } else {
      known_seq_ = seq;
      known_hash_ = hash;
    }
    last_known_change_.store(known_seq_);
    return Status::Ok();
  }

  Status Read(const std::function<Status(StoreTxn&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    FACET_RETURN_IF_ERROR(Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PostgresTxn txn(*conn_, false);
    const Status status = fn(txn);
    const Status ended = conn_->Run(status.ok() ? "COMMIT" : "ROLLBACK");
    return status.ok() ? ended : status;
  }

  Status PurgeDeleted() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!EnsureConnected().ok()) return Status::Ok();
    // Frees the deleted rows' space for reuse. PostgreSQL does not zero it, and its WAL, archives
    // and standbys keep older row images: what makes them unreadable is the person's destroyed
    // data key (crypto-shredding), as for the SQLite store's backups. Best effort: it runs after
    // the erasure committed, which must not be reported as failed because the server went away
    // meanwhile (autovacuum does it later).
    (void)conn_->Run("VACUUM faces, persons, consents");
    return Status::Ok();
  }

  Status CheckIntegrity() override {
    std::lock_guard<std::mutex> lock(mutex_);
    FACET_RETURN_IF_ERROR(EnsureConnected());
    // Reading every row makes PostgreSQL verify each page (and its checksum, when the cluster
    // has data checksums); the change log must chain.
    for (const char* table : {"meta", "galleries", "persons", "consents", "faces", "audit"}) {
      auto r = conn_->Exec(std::string("SELECT count(*) FROM ") + table);
      if (!r.ok())
        return Status::CorruptData(describe_ + ": the store is damaged: " + r.status().message());
    }
    auto broken = conn_->Exec(
        "SELECT count(*) FROM changes c JOIN changes p ON p.seq = c.seq - 1 "
        "WHERE c.previous_hash <> p.hash");
    if (!broken.ok()) return broken.status();
    auto gaps = conn_->Exec(
        "SELECT (SELECT count(*) FROM changes) <> (SELECT seq FROM change_head), "
        "(SELECT coalesce(max(seq), 0) FROM changes) <> (SELECT seq FROM change_head)");
    if (!gaps.ok()) return gaps.status();
    if (broken->Int(0, 0) != 0 || gaps->Bool(0, 0) || gaps->Bool(0, 1)) {
      return Status::CorruptData(describe_ +
                                 ": the store is damaged: the change log has a gap "
                                 "or a broken hash chain");
    }
    return Status::Ok();
  }

  std::string Describe() const override { return describe_; }

  Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(int timeout_ms) override {
    return OpenPostgresChangeFeed(conn_->conninfo(), conn_->setup(), timeout_ms);
  }

  int64_t LastKnownChange() const override { return last_known_change_.load(); }

  Status Initialize(bool create) {
    auto present = conn_->Exec("SELECT to_regclass('meta') IS NOT NULL");
    if (!present.ok()) return present.status();
    const bool exists = present->Bool(0, 0);
    if (!exists && !create) {
      return Status::NotFound(describe_ +
                              ": no facet store in this database (create it with "
                              "`facet init --store ...`)");
    }
    if (exists && create)
      return Status::FailedPrecondition(describe_ + ": a store already exists here");
    if (!exists) {
      FACET_RETURN_IF_ERROR(conn_->Run("BEGIN"));
      Status status = conn_->ExecScript(kPostgresSchema);
      status = status.ok() ? conn_->Run("COMMIT") : status;
      if (!status.ok()) {
        (void)conn_->Run("ROLLBACK");
        return status;
      }
    }
    auto meta = conn_->Exec(
        "SELECT key, value FROM meta WHERE key IN ('application_id', 'pg_schema_version')");
    std::string application_id;
    int version = 0;
    if (meta.ok()) {
      for (int i = 0; i < meta->rows(); ++i) {
        if (meta->Text(i, 0) == "application_id") application_id = meta->Text(i, 1);
        if (meta->Text(i, 0) == "pg_schema_version") version = static_cast<int>(meta->Int(i, 1));
      }
    }
    if (!meta.ok() || application_id != "FCET" || version < 1) {
      return Status::CorruptData(describe_ + ": not a facet store (foreign tables named meta)");
    }
    if (version > kPostgresSchemaVersion) {
      return Status::FailedPrecondition(
          describe_ + ": store schema version " + std::to_string(version) +
          " is newer than this facet supports (" + std::to_string(kPostgresSchemaVersion) + ")");
    }
    for (const PostgresMigration& m : kPostgresMigrations) {
      if (m.to_version <= version) continue;
      FACET_RETURN_IF_ERROR(conn_->Run("BEGIN"));
      // The version again, under a lock: of two processes opening the same older store, one
      // migrates and the other finds the step done.
      auto locked =
          conn_->Exec("SELECT value FROM meta WHERE key = 'pg_schema_version' FOR UPDATE");
      Status status = locked.ok() ? Status::Ok() : locked.status();
      const bool done = status.ok() && locked->rows() == 1 && locked->Int(0, 0) >= m.to_version;
      if (status.ok() && !done) {
        status = conn_->ExecScript(m.sql);
        if (!status.ok()) {
          status = Status::Internal(describe_ + ": migrating the store to schema version " +
                                    std::to_string(m.to_version) + " failed: " + status.message());
        }
      }
      if (status.ok() && !done) {
        status = conn_->Run("UPDATE meta SET value = $1 WHERE key = 'pg_schema_version'",
                            Params().Add(std::to_string(m.to_version)));
      }
      status = status.ok() ? conn_->Run("COMMIT") : status;
      if (!status.ok()) {
        (void)conn_->Run("ROLLBACK");
        return status;
      }
    }
    auto head = conn_->Exec("SELECT seq, hash FROM change_head");
    if (!head.ok()) return head.status();
    if (head->rows() != 1) return Status::CorruptData(describe_ + ": change_head row missing");
    known_seq_ = head->Int(0, 0);
    known_hash_ = head->Bytes(0, 1);
    last_known_change_.store(known_seq_);
    return Status::Ok();
  }

 private:
  Status EnsureConnected() {
    if (conn_->healthy()) return Status::Ok();
    FACET_RETURN_IF_ERROR(conn_->Reconnect());
    describe_ = conn_->Describe();
    return Status::Ok();
  }

  // BEGIN, connecting again first if the connection broke (nothing is lost: no transaction was
  // open). Caller holds mutex_.
  Status Begin(const char* sql) {
    FACET_RETURN_IF_ERROR(EnsureConnected());
    Status status = conn_->Run(sql);
    if (!status.ok() && !conn_->healthy()) {
      FACET_RETURN_IF_ERROR(EnsureConnected());
      status = conn_->Run(sql);
    }
    return status;
  }

  // The database must still hold the change history this process saw: after a failover to a
  // standby that missed a commit, or an old primary brought back, the change this process knew
  // last is absent or different. Caller holds mutex_ inside a transaction.
  Status CheckHistory(int64_t head_seq, const std::vector<uint8_t>& head_hash) {
    if (known_seq_ == 0) return Status::Ok();
    bool same = false;
    if (head_seq == known_seq_) {
      same = head_hash == known_hash_;
    } else if (head_seq > known_seq_) {
      auto r = conn_->Exec("SELECT hash FROM changes WHERE seq = $1", Params().Add(known_seq_));
      if (!r.ok()) return r.status();
      same = r->rows() == 1 && r->Bytes(0, 0) == known_hash_;
    }
    if (same) return Status::Ok();
    return Status::FailedPrecondition(
        describe_ +
        ": the database's change history diverged from the one this process saw "
        "(change " +
        std::to_string(known_seq_) +
        "): an old primary or a restored "
        "backup; restart this process after the cluster is repaired");
  }

  std::mutex mutex_;
  std::unique_ptr<pg::PgConnection> conn_;
  std::string describe_;
  // The last change this process saw committed (0: none).
  int64_t known_seq_ = 0;
  std::vector<uint8_t> known_hash_;
  // known_seq_ for readers without mutex_ (LastKnownChange).
  std::atomic<int64_t> last_known_change_{0};
};

}  // namespace

Result<std::unique_ptr<TemplateStore>> OpenPostgresStore(const StoreOpenOptions& options) {
  // Each statement's answer is awaited at most $FACET_PG_TIMEOUT_MS (default 5 s; then the store
  // reports itself unavailable); a writer waits for another's lock on change_head at most
  // busy_timeout_ms, as SQLite's, or less when that is shorter.
  int timeout_ms = 5'000;
  if (const char* env = std::getenv("FACET_PG_TIMEOUT_MS"); env != nullptr && std::atoi(env) > 0) {
    timeout_ms = std::atoi(env);
  }
  const int lock_ms = std::max(1, std::min(options.busy_timeout_ms, timeout_ms - timeout_ms / 5));
  const std::string setup =
      "SET lock_timeout = " + std::to_string(lock_ms) + "; SET TIME ZONE 'UTC'";
  auto conn = pg::PgConnection::Connect(options.location, setup);
  if (!conn.ok()) return conn.status();
  (*conn)->set_timeout_ms(timeout_ms);
  auto store = std::make_unique<PostgresStore>(std::move(conn).value());
  FACET_RETURN_IF_ERROR(store->Initialize(options.create));
  if (options.check_on_open && !options.create) {
    // The quick check: the schema's guards are present (the full check reads every row).
    FACET_RETURN_IF_ERROR(store->Read([](StoreTxn& txn) -> Status {
      auto missing = txn.MissingAuditGuards();
      return missing.ok() ? Status::Ok() : missing.status();
    }));
  }
  return std::unique_ptr<TemplateStore>(std::move(store));
}

}  // namespace facet::store
