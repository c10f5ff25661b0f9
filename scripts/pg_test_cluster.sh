#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests (ctest's "postgres" fixture): unix socket only,
# no TCP port, in DIR; database facet_test, trust authentication, fsync off (nothing in it is
# kept). Run as root, the server runs as the postgres user (PostgreSQL refuses root).
#   pg_test_cluster.sh start DIR    (re)creates and starts it; prints the URI for FACET_TEST_POSTGRES
#   pg_test_cluster.sh stop DIR     stops it and deletes DIR
# Without PostgreSQL 15 installed, start says so and exits 0: the "pg." tests then skip.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bin=/usr/lib/postgresql/15/bin
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
case "$cmd" in
  start)
    if [ ! -x "$bin/initdb" ]; then
      echo "pg_test_cluster: PostgreSQL 15 is not installed (scripts/deps.sh installs it); the pg. tests skip" >&2
      exit 0
    fi
    stop
    mkdir -p "$dir"
    chmod 0755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_server "$bin/initdb" -D "$dir/data" -U postgres -A trust -N -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_server "$bin/createdb" -h "$dir" -U postgres facet_test
    echo "postgresql:///facet_test?host=$dir&user=postgres"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
