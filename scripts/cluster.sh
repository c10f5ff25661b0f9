#!/usr/bin/env bash
# facet on several machines, tried on one: etcd, Patroni keeping PostgreSQL 15 highly available
# (a primary and a synchronous standby), N `facet serve` nodes on that database and HAProxy in
# front of them, all on loopback, all from Debian's packages. docs/cluster.md.
#
#   bash scripts/cluster.sh up [--nodes N] [--dir DIR] [--port-base P]
#   bash scripts/cluster.sh status [--json] [--dir DIR]
#   bash scripts/cluster.sh down [--dir DIR]
#
# `up` installs what is missing (apt), builds facet if needed, starts everything and prints one
# JSON object: {"endpoint", "nodes", "admin_key", "postgres": [{"name", "pid", "role"}], "dir"}.
# `status --json` prints the same with the current roles; `down` stops what `up` started (by the
# pids it recorded in DIR) and keeps DIR. Ports: P+0 HAProxy, P+1.. facet nodes, P+5 HAProxy's
# port for PostgreSQL (the Patroni primary only), P+50 etcd client,
# P+51 etcd peer, P+60/61 PostgreSQL, P+70/71 Patroni's REST API (P defaults to 17000).
# Every process is started in a session of its own (setsid): it outlives the shell that ran up.
# Demonstration set-up: trust authentication on loopback, one etcd member (no quorum of its own).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
shift || true
nodes=2
dir=/tmp/facet-cluster
base=17000
json=0
extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --port-base) base=$2; shift 2 ;;
    --json) json=1; shift ;;
    pg[01] | [0-9]*) extra=$1; shift ;;
    *) echo "cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
py=/usr/bin/python3  # Debian's interpreter (Patroni's libraries live there)
facet=${FACET_BIN:-$repo/build/facet}
pgbin=/usr/lib/postgresql/15/bin
log() { echo "cluster.sh: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_missing() {
  local missing=()
  for p in postgresql-15 patroni python3-etcd etcd-server haproxy curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    log "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts a default cluster and etcd as services where it can; this script uses its own.
}

build_facet() {
  if [ ! -x "$facet" ]; then
    bash "$repo/scripts/deps.sh"
    (cd "$repo" && cmake --preset release >/dev/null && cmake --build --preset release -j"$(nproc)" --target facet)
  fi
  bash "$repo/scripts/models.sh" >/dev/null
}

# The libpq URI of the store. Through HAProxy's PostgreSQL port, which forwards only to the
# member whose Patroni says it is the primary (GET /primary): a server started by hand outside
# Patroni (an old primary come back) gets no connection, and connections to a demoted one are
# cut. target_session_attrs=read-write refuses a read-only server on top.
store_uri() {
  echo "postgresql://postgres@127.0.0.1:$((base + 5))/facet?target_session_attrs=read-write&connect_timeout=2&keepalives_idle=2&keepalives_interval=1&keepalives_count=2"
}

start_etcd() {
  mkdir -p "$dir/etcd"
  setsid nohup etcd --name e0 --data-dir "$dir/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$((base + 50))" \
    --advertise-client-urls "http://127.0.0.1:$((base + 50))" \
    --listen-peer-urls "http://127.0.0.1:$((base + 51))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((base + 51))" \
    --initial-cluster "e0=http://127.0.0.1:$((base + 51))" \
    >"$dir/etcd/etcd.log" 2>&1 &
  echo $! >"$dir/pids/etcd"
  wait_url "http://127.0.0.1:$((base + 50))/health" 100 "etcd did not start (see $dir/etcd/etcd.log)"
}

patroni_config() {  # NAME INDEX
  local name=$1 i=$2
  cat <<EOF
scope: facet
namespace: /facet-$base/
name: $name
restapi:
  listen: 127.0.0.1:$((base + 70 + i))
  connect_address: 127.0.0.1:$((base + 70 + i))
etcd3:
  hosts: 127.0.0.1:$((base + 50))
bootstrap:
  dcs:
    ttl: 6
    loop_wait: 1
    retry_timeout: 2
    maximum_lag_on_failover: 0
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$((base + 60 + i))
  connect_address: 127.0.0.1:$((base + 60 + i))
  data_dir: $dir/$name/data
  bin_dir: $pgbin
  pgpass: $dir/$name/pgpass
  authentication:
    superuser: {username: postgres, password: postgres}
    replication: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: $dir/$name
EOF
}

start_patroni() {  # NAME INDEX
  local name=$1 i=$2
  mkdir -p "$dir/$name"
  patroni_config "$name" "$i" >"$dir/$name/patroni.yml"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir/$name"
  chmod 0700 "$dir/$name"
  as_postgres bash -c "setsid nohup patroni '$dir/$name/patroni.yml' >'$dir/$name/patroni.log' 2>&1 & echo \$! >'$dir/$name/patroni.pid'"
  cp "$dir/$name/patroni.pid" "$dir/pids/patroni-$name"
}

# name pid role of each PostgreSQL member, from Patroni's view of the cluster.
members() {
  local out
  out=$(curl -sf "http://127.0.0.1:$((base + 70))/cluster" 2>/dev/null ||
        curl -sf "http://127.0.0.1:$((base + 71))/cluster" 2>/dev/null || echo '{}')
  DIR="$dir" "$py" - "$out" <<'EOF'
import json, os, sys
cluster = json.loads(sys.argv[1] or "{}")
roles = {m["name"]: m["role"] + ("" if m.get("state") in ("running", "streaming") else ":" + m.get("state", "?"))
         for m in cluster.get("members", [])}
for name in ("pg0", "pg1"):
    pid = 0
    try:
        with open(os.path.join(os.environ["DIR"], name, "data", "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, 0)
    except (OSError, ValueError):
        pid = 0
    print(name, pid, roles.get(name, "stopped" if pid == 0 else "unknown"))
EOF
}

wait_for_roles() {
  for _ in $(seq 600); do
    local m
    m=$(members)
    if echo "$m" | grep -q " leader$" && echo "$m" | grep -q " sync_standby$"; then return 0; fi
    sleep 0.2
  done
  log "Patroni did not elect a primary with a synchronous standby (see $dir/pg*/patroni.log):"
  members >&2
  exit 1
}

start_node() {  # INDEX
  local i=$1
  local port=$((base + i))
  FACET_STORE=$(store_uri) setsid nohup "$facet" serve --port "$port" --keys "$dir/api_keys" \
    --key-file "$dir/master.key" --models "$repo/models" --workers 1 --no-ephemeral-key \
    --max-connections-per-address 0 --max-active-per-address 0 \
    --index-snapshot-dir "$dir/node$i.index" \
    >"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/pids/node$i"
}

wait_url() {  # URL TRIES WHAT: polls URL every 0.1 s until it answers 2xx; else says WHAT, exits
  for _ in $(seq "$2"); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$3"
  exit 1
}

wait_ready() { wait_url "$1/readyz" 1200 "$1 did not become ready"; }  # URL

start_haproxy() {
  {
    cat <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 2
  option redispatch
frontend facet
  bind 127.0.0.1:$base
  default_backend nodes
backend nodes
  # A client that sends X-Facet-Client sticks to one node while it is up (faceIds live in one
  # node's memory: detect and identify must meet); others are spread round robin.
  balance hdr(X-Facet-Client)
  hash-type consistent
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 200ms fastinter 100ms fall 2 rise 1
EOF
    for i in $(seq "$nodes"); do echo "  server node$i 127.0.0.1:$((base + i)) check"; done
    cat <<EOF
listen postgres
  bind 127.0.0.1:$((base + 5))
  mode tcp
  timeout client 30m
  timeout server 30m
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 300ms fastinter 100ms fall 2 rise 1 on-marked-down shutdown-sessions
  server pg0 127.0.0.1:$((base + 60)) check port $((base + 70))
  server pg1 127.0.0.1:$((base + 61)) check port $((base + 71))
EOF
  } >"$dir/haproxy.cfg"
  haproxy -f "$dir/haproxy.cfg" -D -p "$dir/pids/haproxy"
}

print_json() {
  local key=""
  [ -f "$dir/admin_key" ] && key=$(cat "$dir/admin_key")
  local n
  n=$(cat "$dir/nodes" 2>/dev/null || echo 0)
  members | DIR="$dir" BASE="$base" N="$n" KEY="$key" "$py" -c '
import json, os, sys
base, n = int(os.environ["BASE"]), int(os.environ["N"])
pg = []
for line in sys.stdin:
    name, pid, role = line.split()
    pg.append({"name": name, "pid": int(pid), "role": role})
print(json.dumps({"endpoint": "http://127.0.0.1:%d" % base,
                  "nodes": ["http://127.0.0.1:%d" % (base + i) for i in range(1, n + 1)],
                  "admin_key": os.environ["KEY"], "postgres": pg, "dir": os.environ["DIR"]}))'
}

up() {
  if [ -f "$dir/pids/etcd" ] && kill -0 "$(cat "$dir/pids/etcd")" 2>/dev/null; then
    log "a cluster is already running in $dir (cluster.sh down --dir $dir first)"
    exit 1
  fi
  install_missing
  build_facet
  rm -rf "$dir"
  mkdir -p "$dir/pids"
  chmod 0755 "$dir"
  echo "$base" >"$dir/port_base"
  echo "$nodes" >"$dir/nodes"
  start_etcd
  start_patroni pg0 0
  for _ in $(seq 600); do members | grep -q "^pg0 .* leader$" && break; sleep 0.2; done
  start_patroni pg1 1
  wait_for_roles
  start_haproxy
  as_postgres "$pgbin/psql" -q -h 127.0.0.1 -p "$((base + 60))" -U postgres -d postgres \
    -c "CREATE DATABASE facet" >/dev/null
  for _ in $(seq 100); do
    as_postgres "$pgbin/psql" -q -h 127.0.0.1 -p "$((base + 5))" -U postgres -d facet -c "" \
      >/dev/null 2>&1 && break
    sleep 0.1
  done
  FACET_STORE=$(store_uri) "$facet" init --key-file "$dir/master.key" >/dev/null
  "$facet" serve keys add --keys "$dir/api_keys" --name cluster-admin --scopes all \
    --rate 1000 --burst 2000 \
    --json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["key"])' >"$dir/admin_key"
  chmod 0600 "$dir/admin_key"
  for i in $(seq "$nodes"); do start_node "$i"; done
  for i in $(seq "$nodes"); do wait_ready "http://127.0.0.1:$((base + i))"; done
  wait_ready "http://127.0.0.1:$base"
  print_json
}

stop_pid() {  # FILE SIGNAL
  local f=$1
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  [ -d "$dir/pids" ] || { log "nothing started in $dir"; return 0; }
  stop_pid "$dir/pids/haproxy"
  for f in "$dir"/pids/node*; do [ -e "$f" ] && stop_pid "$f"; done
  # Patroni stops its PostgreSQL when it stops.
  for f in "$dir"/pids/patroni-*; do [ -e "$f" ] && stop_pid "$f"; done
  for name in pg0 pg1; do
    if [ -f "$dir/$name/data/postmaster.pid" ]; then
      as_postgres "$pgbin/pg_ctl" -D "$dir/$name/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
  done
  stop_pid "$dir/pids/etcd"
  log "stopped (files kept in $dir)"
}

case "$cmd" in
  up) up ;;
  status)
    [ -f "$dir/port_base" ] && base=$(cat "$dir/port_base")
    if [ "$json" = 1 ]; then print_json; else members; fi
    ;;
  down)
    [ -f "$dir/port_base" ] && base=$(cat "$dir/port_base")
    down
    ;;
  start-member)  # NAME: (re)start one PostgreSQL member's Patroni (after a fault test killed it)
    [ -f "$dir/port_base" ] && base=$(cat "$dir/port_base")
    name=${extra:?start-member needs pg0 or pg1}
    as_postgres bash -c "setsid nohup patroni '$dir/$name/patroni.yml' >>'$dir/$name/patroni.log' 2>&1 & echo \$! >'$dir/$name/patroni.pid'"
    cp "$dir/$name/patroni.pid" "$dir/pids/patroni-$name"
    ;;
  start-node)  # INDEX: (re)start one facet node
    [ -f "$dir/port_base" ] && base=$(cat "$dir/port_base")
    start_node "${extra:?start-node needs an index}"
    ;;
  *) echo "usage: $0 up [--nodes N] [--dir DIR] [--port-base P] | status [--json] [--dir DIR] | down [--dir DIR]" >&2; exit 2 ;;
esac
