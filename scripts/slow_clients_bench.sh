#!/usr/bin/env bash
# The slow-client attack of issue 18 at full size, on loopback only: 1,000 idle connections plus
# 250 that trickle a header byte every 2 s, all from 127.0.0.2, reopened as the server closes
# them; a fresh GET /health from 127.0.0.1 every 250 ms must be answered within 1 s throughout.
# Runs twice: with the per-address cap off (the server holds all 1,250 connections) and with the
# default cap (256 per address: the rest are refused with 503 at once).
#   bash scripts/slow_clients_bench.sh            # 60 s per run
#   DURATION=20 bash scripts/slow_clients_bench.sh
# Needs a release build (facet).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
duration=${DURATION:-60}
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ "$(ulimit -n)" -lt 8192 ]; then ulimit -n 8192; fi  # 1,250 client sockets + the server's

run() {  # run LABEL [facet serve flags...]
  local label=$1
  shift
  ./build/facet serve --port 0 --keys "$work/keys.json" --no-ephemeral-key "$@" 2>"$work/server.log" &
  server=$!
  local port=""
  for _ in $(seq 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/server.log" >&2; exit 1; }
  echo "== $label =="
  python3 scripts/slow_clients.py --port "$port" --pid "$server" --duration "$duration" || status=1
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
}

status=0
run "per-address cap off: the server holds every attack connection" --max-connections-per-address 0
run "default limits (256 connections per address)"
exit $status
