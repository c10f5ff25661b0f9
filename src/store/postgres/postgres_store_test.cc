// The PostgreSQL store against a real server ($FACET_TEST_POSTGRES; ctest starts a throwaway
// cluster): the StoreTxn contract as the SQLite store keeps it, plus what only a shared database
// needs (writers serialised across processes, the change log, reconnection, diverged history).
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include "store/postgres/pg_test_util.h"
#include "store/postgres/postgres_store.h"
#include "store/template_store.h"

namespace facet::store {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PostgresTestBase().empty()) GTEST_SKIP() << "FACET_TEST_POSTGRES is not set";
    std::string error;
    uri_ = testing::FreshPostgresStore(&error);
    if (uri_.empty()) GTEST_SKIP() << "PostgreSQL unreachable: " << error;
  }

  std::unique_ptr<TemplateStore> Open(bool create) {
    auto store = OpenStore({.location = uri_, .create = create});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs SQL as the database owner (an administrator, or an attacker with database access).
  std::string Sql(const std::string& sql) { return testing::PostgresTestExec(uri_, sql); }

  static Result<int64_t> AddGallery(StoreTxn& txn, const std::string& name) {
    GalleryRecord g;
    g.name = name;
    g.purpose = "door";
    g.use = "identify";
    g.model = "m";
    g.model_version = "1";
    g.dimensions = 4;
    g.threshold = 0.3f;
    g.keep_photos = true;
    return txn.InsertGallery(g);
  }

  static Result<int64_t> AddPerson(StoreTxn& txn, int64_t gallery, const std::string& who) {
    PersonRecord p;
    p.gallery_id = gallery;
    p.person_id = who;
    p.uid = "uid-" + who;
    p.sealed_profile = {0, 1, 2, 0, 255};
    p.wrapped_key = {9, 0, 9};
    return txn.InsertPerson(p);
  }

  static Result<int64_t> AddFace(StoreTxn& txn, int64_t gallery, int64_t person, bool photo) {
    FaceRecord f;
    f.gallery_id = gallery;
    f.person_id = person;
    f.sealed_template = std::vector<uint8_t>(800, 0);
    f.sealed_template[1] = 0x5c;  // a backslash byte, and zeros: bytea must keep them
    f.quality = "high";
    f.source_sha256 = std::string(64, 'a');
    if (photo) f.sealed_photo = {1, 2, 3};
    return txn.InsertFace(f);
  }

  std::string uri_;
};

TEST_F(PostgresStoreTest, CreatesReopensAndRefusesToRecreate) {
  EXPECT_EQ(OpenStore({.location = uri_}).status().code(), StatusCode::kNotFound)
      << "an empty database is no store";
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe().rfind("postgresql://", 0), 0u) << store->Describe();
  store.reset();
  EXPECT_EQ(OpenStore({.location = uri_, .create = true}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_NE(Open(false), nullptr);
  const Status unreachable =
      OpenStore({.location = "postgresql://127.0.0.1:1/none?connect_timeout=2"}).status();
  EXPECT_EQ(unreachable.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unreachable.message().find(kStoreUnavailableMarker), std::string::npos)
      << "the service answers 503 for this: " << unreachable.ToString();
}

TEST_F(PostgresStoreTest, ForeignAndNewerDatabasesAreRefused) {
  ASSERT_EQ(Sql("CREATE TABLE meta(key text, value text)"), "");
  EXPECT_EQ(OpenStore({.location = uri_}).status().code(), StatusCode::kCorruptData);
  ASSERT_EQ(Sql("DROP TABLE meta"), "");
  ASSERT_NE(Open(true), nullptr);
  ASSERT_EQ(Sql("UPDATE meta SET value = '99' WHERE key = 'pg_schema_version'"), "");
  auto newer = OpenStore({.location = uri_});
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos);
}

// A schema-2 database (before row MACs) is migrated on open: the new columns appear, empty
// (the gallery layer fills them: docs/store_format.md), and its rows are kept.
TEST_F(PostgresStoreTest, ASchemaTwoDatabaseIsMigrated) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Write([](StoreTxn& txn) { return AddGallery(txn, "office").status(); }).ok());
  store.reset();
  ASSERT_EQ(Sql("ALTER TABLE galleries DROP COLUMN mac; ALTER TABLE persons DROP COLUMN mac;"
                "ALTER TABLE consents DROP COLUMN sealed_details, DROP COLUMN mac;"
                "ALTER TABLE faces DROP COLUMN sealed_source, DROP COLUMN mac;"
                "UPDATE meta SET value = '2' WHERE key = 'pg_schema_version'"),
            "");
  store = Open(false);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Read([](StoreTxn& txn) -> Status {
                    auto version = txn.GetMeta("pg_schema_version");
                    if (!version.ok()) return version.status();
                    EXPECT_EQ(version->value_or(""), "3");
                    auto galleries = txn.ListGalleries();
                    if (!galleries.ok()) return galleries.status();
                    EXPECT_EQ(galleries->size(), 1u);
                    EXPECT_TRUE(galleries->front().mac.empty());
                    return Status::Ok();
                  })
                  .ok());
}

// A version 1 store (version 2's tables without the columns migrations/0002.sql adds) with rows
// in it is migrated when opened and keeps them; the new columns then take values.
TEST_F(PostgresStoreTest, Version1StoreIsMigratedOnOpenAndKeepsItsRows) {
  ASSERT_NE(Open(true), nullptr);
  ASSERT_EQ(Sql("ALTER TABLE galleries DROP COLUMN sealed_profile, DROP COLUMN requested_model, "
                "DROP COLUMN mac; ALTER TABLE persons DROP COLUMN mac; "
                "ALTER TABLE consents DROP COLUMN sealed_details, DROP COLUMN mac; "
                "ALTER TABLE faces DROP COLUMN sealed_user_data, DROP COLUMN sealed_source, "
                "DROP COLUMN mac; "
                "UPDATE meta SET value = '1' WHERE key = 'pg_schema_version'; "
                "INSERT INTO meta VALUES ('schema_version', '1'); "
                "INSERT INTO galleries(name, purpose, use, model, model_version, dimensions, fmr, "
                "threshold, threshold_fmr_1e3, threshold_fmr_1e4, keep_photos, created_ms, "
                "generation) VALUES ('office', 'door', 'identify', 'm', '1', 4, 0.0001, 0.5, "
                "0.4, 0.5, true, 1000, 3); "
                "INSERT INTO persons(gallery_id, person_id, uid, sealed_profile, wrapped_key, "
                "created_ms) SELECT id, 'amy', 'p_1', '\\x0101', '\\x0202', 2000 FROM galleries; "
                "INSERT INTO faces(person_id, gallery_id, sealed_template, quality, source_sha256, "
                "created_ms) SELECT p.id, p.gallery_id, '\\x030303', 'high', 'ab', 3000 "
                "FROM persons p"),
            "");
  auto store = Open(false);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Read([](StoreTxn& txn) -> Status {
                    auto version = txn.GetMeta("schema_version");
                    EXPECT_EQ(version.ok() ? version->value_or("") : "", "3");
                    auto g = txn.FindGallery("office");
                    if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
                    EXPECT_EQ((*g)->generation, 3);
                    EXPECT_TRUE((*g)->sealed_profile.empty());
                    EXPECT_EQ((*g)->requested_model, "");
                    auto person = txn.FindPerson((*g)->id, "amy");
                    if (!person.ok() || !person->has_value()) return Status::Internal("person");
                    EXPECT_EQ((*person)->wrapped_key, (std::vector<uint8_t>{2, 2}));
                    auto faces = txn.ListFaces((*person)->id, false);
                    if (!faces.ok() || faces->size() != 1) return Status::Internal("face lost");
                    EXPECT_EQ((*faces)[0].sealed_template, (std::vector<uint8_t>{3, 3, 3}));
                    EXPECT_TRUE((*faces)[0].sealed_user_data.empty());
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE(
      store
          ->Write([](StoreTxn& txn) -> Status {
            auto g = txn.FindGallery("office");
            if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
            FACET_RETURN_IF_ERROR(txn.SetGalleryProfile((*g)->id, std::vector<uint8_t>{9, 0, 9}));
            auto person = txn.FindPerson((*g)->id, "amy");
            if (!person.ok() || !person->has_value()) return Status::Internal("person");
            auto faces = txn.ListFaces((*person)->id, false);
            if (!faces.ok() || faces->empty()) return Status::Internal("face lost");
            return txn.SetFaceUserData((*faces)[0].id, std::vector<uint8_t>{7, 0x5c});
          })
          .ok());
  store.reset();
  store = Open(false);  // nothing left to migrate
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Read([](StoreTxn& txn) -> Status {
                    auto g = txn.FindGallery("office");
                    if (!g.ok() || !g->has_value()) return Status::Internal("gallery lost");
                    EXPECT_EQ((*g)->sealed_profile, (std::vector<uint8_t>{9, 0, 9}));
                    auto person = txn.FindPerson((*g)->id, "amy");
                    if (!person.ok() || !person->has_value()) return Status::Internal("person");
                    auto faces = txn.ListFaces((*person)->id, false);
                    if (!faces.ok() || faces->empty()) return Status::Internal("face lost");
                    EXPECT_EQ((*faces)[0].sealed_user_data, (std::vector<uint8_t>{7, 0x5c}));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST_F(PostgresStoreTest, RowsRoundTripAndCascade) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  int64_t gallery = 0;
  int64_t amy = 0;
  ASSERT_TRUE(store
                  ->Write([&](StoreTxn& txn) -> Status {
                    auto g = AddGallery(txn, "office");
                    if (!g.ok()) return g.status();
                    gallery = g.value();
                    auto a = AddPerson(txn, gallery, "amy");
                    auto b = AddPerson(txn, gallery, "Bob");
                    if (!a.ok() || !b.ok()) return Status::Internal("persons");
                    amy = a.value();
                    FACET_RETURN_IF_ERROR(AddFace(txn, gallery, amy, true).status());
                    FACET_RETURN_IF_ERROR(AddFace(txn, gallery, b.value(), false).status());
                    ConsentRecord c;
                    c.person_id = amy;
                    c.granted_by = "amy";
                    c.scope = "identify";
                    c.purpose = "door";
                    c.granted_ms = 1;
                    c.expires_ms = 100;
                    return txn.InsertConsent(c).status();
                  })
                  .ok());
  ASSERT_TRUE(store
                  ->Read([&](StoreTxn& txn) -> Status {
                    auto g = txn.FindGallery("office");
                    EXPECT_TRUE(g.ok() && g->has_value());
                    EXPECT_FLOAT_EQ((*g)->threshold, 0.3f);
                    EXPECT_TRUE((*g)->keep_photos);
                    auto persons = txn.ListPersons(gallery);
                    EXPECT_EQ(persons->size(), 2u);
                    EXPECT_EQ(persons->front().person_id, "Bob") << "byte order, as SQLite";
                    auto p = txn.GetPerson(amy);
                    EXPECT_EQ((*p)->sealed_profile, (std::vector<uint8_t>{0, 1, 2, 0, 255}));
                    auto faces = txn.ListFaces(amy, true);
                    EXPECT_EQ(faces->size(), 1u);
                    EXPECT_EQ(faces->front().sealed_template.size(), 800u);
                    EXPECT_EQ(faces->front().sealed_template[1], 0x5c);
                    EXPECT_EQ(faces->front().sealed_photo, (std::vector<uint8_t>{1, 2, 3}));
                    EXPECT_TRUE(faces->front().has_photo);
                    int scanned = 0;
                    FACET_RETURN_IF_ERROR(txn.ScanFaces(gallery, [&](const FaceRecord& f) {
                      EXPECT_TRUE(f.sealed_photo.empty());
                      ++scanned;
                      return Status::Ok();
                    }));
                    EXPECT_EQ(scanned, 2);
                    auto lapsed = txn.PersonsWithLapsedConsent(gallery, 200, {"identify"});
                    EXPECT_EQ(lapsed.value(), std::vector<int64_t>{amy});
                    auto next = txn.NextConsentExpiry(gallery, 50);
                    EXPECT_EQ(next->value_or(0), 100);
                    return Status::Ok();
                  })
                  .ok());
  // Deleting the gallery takes everything with it.
  ASSERT_TRUE(store->Write([&](StoreTxn& txn) { return txn.DeleteGallery(gallery); }).ok());
  ASSERT_TRUE(store
                  ->Read([&](StoreTxn& txn) -> Status {
                    EXPECT_EQ(txn.CountFaces(gallery).value(), 0);
                    EXPECT_FALSE(txn.GetPerson(amy)->has_value());
                    return Status::Ok();
                  })
                  .ok());
}

TEST_F(PostgresStoreTest, FailedTransactionLeavesNothingAndReadsCannotWrite) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  const Status status = store->Write([](StoreTxn& txn) -> Status {
    FACET_RETURN_IF_ERROR(AddGallery(txn, "temp").status());
    return Status::Internal("changed my mind");
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  ASSERT_TRUE(store
                  ->Read([](StoreTxn& txn) -> Status {
                    auto g = txn.FindGallery("temp");
                    return g.ok() && !g->has_value() ? Status::Ok()
                                                     : Status::Internal("gallery survived");
                  })
                  .ok());
  EXPECT_FALSE(store->Read([](StoreTxn& txn) { return txn.PutMeta("a", "b"); }).ok());
  // A failed statement fails the write (and the store stays usable).
  EXPECT_FALSE(store
                   ->Write([](StoreTxn& txn) -> Status {
                     FACET_RETURN_IF_ERROR(AddGallery(txn, "twin").status());
                     return AddGallery(txn, "twin").status();
                   })
                   .ok());
  EXPECT_TRUE(store->Write([](StoreTxn& txn) { return AddGallery(txn, "twin").status(); }).ok());
}

TEST_F(PostgresStoreTest, AuditIsAppendOnlyAndDroppedGuardsAreReported) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  AuditEntry e;
  e.seq = 1;
  e.actor = "a";
  ASSERT_TRUE(store->Write([&](StoreTxn& txn) { return txn.AppendAudit(e, {1, {}, {}}); }).ok());
  EXPECT_NE(Sql("UPDATE audit SET actor = 'b'"), "");
  EXPECT_NE(Sql("DELETE FROM audit"), "");
  EXPECT_NE(Sql("TRUNCATE audit"), "");
  auto missing = [&] {
    std::vector<std::string> out;
    EXPECT_TRUE(store
                    ->Read([&](StoreTxn& txn) -> Status {
                      auto m = txn.MissingAuditGuards();
                      if (m.ok()) out = m.value();
                      return m.status();
                    })
                    .ok());
    return out;
  };
  EXPECT_TRUE(missing().empty());
  ASSERT_EQ(Sql("DROP TRIGGER audit_no_delete ON audit"), "");
  EXPECT_EQ(missing(), std::vector<std::string>{"audit_no_delete"});
  ASSERT_EQ(Sql("ALTER TABLE audit DISABLE TRIGGER audit_no_update"), "");
  EXPECT_EQ(missing().size(), 2u) << "a disabled trigger guards nothing";
}

// Two stores stand for two facet nodes: their writes (each reading the audit head and appending
// after it) interleave, yet the log stays one gapless chain and every write is acknowledged.
TEST_F(PostgresStoreTest, WritersOnSeveralConnectionsAreSerialised) {
  ASSERT_NE(Open(true), nullptr);
  constexpr int kPerWriter = 40;
  auto writer = [&](int which) {
    auto store = Open(false);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kPerWriter; ++i) {
      const Status s = store->Write([&](StoreTxn& txn) -> Status {
        auto head = txn.GetAuditHead();
        if (!head.ok()) return head.status();
        AuditEntry e;
        e.seq = head->count + 1;
        e.actor = "node" + std::to_string(which);
        return txn.AppendAudit(e, {e.seq, {}, {}});
      });
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  };
  std::thread a(writer, 1);
  std::thread b(writer, 2);
  a.join();
  b.join();
  auto store = Open(false);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(store
                  ->Read([&](StoreTxn& txn) {
                    return txn.ScanAudit(1, [&](const AuditEntry& e) {
                      seqs.push_back(e.seq);
                      return true;
                    });
                  })
                  .ok());
  ASSERT_EQ(seqs.size(), 2u * kPerWriter);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i + 1));
}

TEST_F(PostgresStoreTest, ChangeLogIsGaplessChainedAndNotified) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  PGconn* listener = PQconnectdb(uri_.c_str());
  ASSERT_EQ(PQstatus(listener), CONNECTION_OK);
  PQclear(PQexec(listener, "LISTEN facet_changes"));
  int64_t gallery = 0;
  int64_t person = 0;
  int64_t face = 0;
  ASSERT_TRUE(store
                  ->Write([&](StoreTxn& txn) -> Status {
                    auto g = AddGallery(txn, "office");
                    if (!g.ok()) return g.status();
                    gallery = g.value();
                    auto p = AddPerson(txn, gallery, "amy");
                    if (!p.ok()) return p.status();
                    person = p.value();
                    auto f = AddFace(txn, gallery, person, false);
                    if (!f.ok()) return f.status();
                    face = f.value();
                    return Status::Ok();
                  })
                  .ok());
  // A write that changes no gallery (e.g. an audit entry alone) is not in the change log.
  ASSERT_TRUE(store->Write([](StoreTxn& txn) { return txn.PutMeta("x", "y"); }).ok());
  ASSERT_TRUE(store
                  ->Write([&](StoreTxn& txn) -> Status {
                    FACET_RETURN_IF_ERROR(txn.DeleteFacesOfPerson(person).status());
                    FACET_RETURN_IF_ERROR(txn.SetPersonKey(person, {}));
                    return txn.BumpGeneration(gallery);
                  })
                  .ok());
  std::vector<std::string> payloads;
  ASSERT_TRUE(store->Read([&](StoreTxn&) { return Status::Ok(); }).ok());
  PGresult* rows = PQexec(listener,
                          "SELECT c.seq, c.payload, c.previous_hash = coalesce(p.hash, "
                          "'\\x0000000000000000000000000000000000000000000000000000000000000000'"
                          "::bytea) FROM changes c LEFT JOIN changes p ON p.seq = c.seq - 1 "
                          "ORDER BY c.seq");
  ASSERT_EQ(PQntuples(rows), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(std::stoll(PQgetvalue(rows, i, 0)), i + 1);
    EXPECT_STREQ(PQgetvalue(rows, i, 2), "t") << "change " << i + 1 << " does not chain";
    payloads.emplace_back(PQgetvalue(rows, i, 1));
  }
  PQclear(rows);
  const auto first = nlohmann::json::parse(payloads[0]);
  const auto second = nlohmann::json::parse(payloads[1]);
  EXPECT_EQ(first["add"], nlohmann::json::array({face}));
  EXPECT_EQ(first["g"], nlohmann::json::array({gallery}));
  EXPECT_EQ(second["del"], nlohmann::json::array({face}));
  EXPECT_EQ(second["shred"], nlohmann::json::array({person}));
  std::set<std::string> notified;
  PQconsumeInput(listener);
  while (PGnotify* n = PQnotifies(listener)) {
    notified.insert(n->extra);
    PQfreemem(n);
  }
  EXPECT_EQ(notified, (std::set<std::string>{"1", "2"}));
  PQfinish(listener);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  // A hole in the log is damage.
  ASSERT_EQ(Sql("ALTER TABLE changes DISABLE TRIGGER USER; DELETE FROM changes WHERE seq = 1"), "");
  EXPECT_EQ(store->CheckIntegrity().code(), StatusCode::kCorruptData);
}

// The connection dies (server restart, failover, a DBA's pg_terminate_backend): the next
// transaction connects again; a lost write is an error, never a silent success.
TEST_F(PostgresStoreTest, ReconnectsAfterTheConnectionIsKilled) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Write([](StoreTxn& txn) { return AddGallery(txn, "a").status(); }).ok());
  ASSERT_EQ(Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
                "pg_backend_pid() AND application_name = current_setting('application_name')"),
            "");
  const Status read = store->Read([](StoreTxn& txn) { return txn.FindGallery("a").status(); });
  EXPECT_TRUE(read.ok()) << read.ToString();
  EXPECT_TRUE(store->Write([](StoreTxn& txn) { return AddGallery(txn, "b").status(); }).ok());
}

// A server that stops answering (a frozen or cut-off primary; here the store's own backend
// process is stopped with SIGSTOP mid-transaction) must not hold the store: the statement is given up after
// $FACET_PG_TIMEOUT_MS as "unavailable", and the next transaction connects again.
TEST_F(PostgresStoreTest, AServerWithoutAnswerIsGivenUpInTime) {
  ASSERT_NE(Open(true), nullptr);
  ::setenv("FACET_PG_TIMEOUT_MS", "400", 1);
  auto store = Open(false);
  ::unsetenv("FACET_PG_TIMEOUT_MS");
  ASSERT_NE(store, nullptr);
  PGconn* admin = PQconnectdb(uri_.c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK);
  PGresult* r = PQexec(admin,
                       "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                       "application_name = current_setting('application_name')");
  ASSERT_EQ(PQntuples(r), 1);
  const pid_t backend = static_cast<pid_t>(std::stol(PQgetvalue(r, 0, 0)));
  PQclear(r);
  PQfinish(admin);
  // Frozen inside a transaction (a BEGIN without answer would just be retried on a new
  // connection: the server as a whole still answers).
  bool stopped = false;
  auto start = std::chrono::steady_clock::now();
  const Status frozen = store->Read([&](StoreTxn& txn) {
    stopped = ::kill(backend, SIGSTOP) == 0;
    start = std::chrono::steady_clock::now();
    return txn.GetMeta("x").status();
  });
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::kill(backend, SIGCONT);
  if (!stopped) GTEST_SKIP() << "cannot stop the server's process";
  EXPECT_EQ(frozen.code(), StatusCode::kFailedPrecondition) << frozen.ToString();
  EXPECT_NE(frozen.message().find(kStoreUnavailableMarker), std::string::npos);
  EXPECT_LT(waited, 3.0);
  const Status after = store->Read([](StoreTxn& txn) { return txn.GetMeta("x").status(); });
  EXPECT_TRUE(after.ok()) << after.ToString();
}

// The database's history is not the one this process saw (an old primary restarted, a standby
// that missed commits promoted, a backup restored): writes are refused, not forked.
TEST_F(PostgresStoreTest, ADivergedHistoryIsRefused) {
  auto store = Open(true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Write([](StoreTxn& txn) { return AddGallery(txn, "a").status(); }).ok());
  ASSERT_EQ(Sql("ALTER TABLE changes DISABLE TRIGGER USER; DELETE FROM changes; "
                "INSERT INTO changes VALUES (1, 0, '{}', '\\x00', '\\x01'); "
                "UPDATE change_head SET hash = '\\x01'"),
            "");
  const Status write = store->Write([](StoreTxn& txn) { return AddGallery(txn, "b").status(); });
  EXPECT_EQ(write.code(), StatusCode::kFailedPrecondition) << write.ToString();
  EXPECT_NE(write.message().find("diverged"), std::string::npos) << write.ToString();
}

}  // namespace
}  // namespace facet::store
