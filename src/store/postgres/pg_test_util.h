// Tests against PostgreSQL: $FACET_TEST_POSTGRES names a database (a libpq URI) in which each
// test gets a fresh schema of its own, so the backend-neutral store and gallery tests run
// against PostgreSQL too. ctest sets it for the "pg." tests and starts a throwaway cluster for
// them (scripts/pg_test_cluster.sh); without it those tests skip.
#ifndef FACET_SRC_STORE_POSTGRES_PG_TEST_UTIL_H_
#define FACET_SRC_STORE_POSTGRES_PG_TEST_UTIL_H_

#include <cstdlib>
#include <random>
#include <string>

#include <libpq-fe.h>

namespace facet::testing {

// The base URI from the environment, or "" when PostgreSQL tests are not asked for.
inline std::string PostgresTestBase() {
  const char* base = std::getenv("FACET_TEST_POSTGRES");
  return base != nullptr ? base : "";
}

// Runs `sql` on the base database; returns libpq's error message, "" on success.
inline std::string PostgresTestExec(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  PQfinish(conn);
  return error;
}

// `base` with the session's search_path (and application_name) set to `schema`.
inline std::string PostgresSchemaUri(const std::string& base, const std::string& schema) {
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema + "&application_name=" + schema;
}

// A fresh schema in the test database as a store location; "" when no PostgreSQL is configured
// (or it cannot be reached: *error says why).
inline std::string FreshPostgresStore(std::string* error) {
  const std::string base = PostgresTestBase();
  if (base.empty()) return "";
  std::random_device random;
  const std::string schema = "t" + std::to_string(random()) + std::to_string(random());
  *error = PostgresTestExec(base, "CREATE SCHEMA " + schema);
  return error->empty() ? PostgresSchemaUri(base, schema) : "";
}

}  // namespace facet::testing

#endif  // FACET_SRC_STORE_POSTGRES_PG_TEST_UTIL_H_
