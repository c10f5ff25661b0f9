#!/usr/bin/env bash
# The short fault test (ctest cluster_test): a cluster of 2 facet nodes on Patroni + PostgreSQL
# 15 + etcd + HAProxy on loopback (scripts/cluster.sh), erase visibility, a node killed, a node
# stopped, one kill -9 of the PostgreSQL primary under write load; no acknowledged write lost and
# the audit chain intact (scripts/cluster_faults.py). Usage: cluster_test.sh FACET_BINARY
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export FACET_BIN=$1
dir=$(mktemp -d /tmp/facet-cluster-test.XXXXXX)
# A port range of its own per run (several worktrees may test at once), with no TCP socket on any
# of its 100 ports yet: a client connection's local port there made etcd fail to start.
ports_free() {  # BASE
  python3 - "$1" <<'PY'
import sys
base = int(sys.argv[1])
used = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    used.update(int(row.split()[1].rsplit(":", 1)[1], 16) for row in rows)
sys.exit(1 if any(base <= port < base + 100 for port in used) else 0)
PY
}
base=$((20000 + ($(echo "$dir" | cksum | cut -d' ' -f1) % 120) * 100))
while ! ports_free "$base"; do base=$((base + 100)); [ "$base" -lt 32700 ] || base=20000; done
trap 'bash "$repo/scripts/cluster.sh" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
if ! bash "$repo/scripts/cluster.sh" up --nodes 2 --dir "$dir" --port-base "$base"; then
  # The directory goes with the trap: show why first.
  for log in "$dir"/*/*.log "$dir"/*.log; do
    [ -f "$log" ] && { echo "== $log"; tail -n 20 "$log"; }
  done >&2
  exit 1
fi
/usr/bin/python3 "$repo/scripts/cluster_faults.py" --dir "$dir" --failovers 1 --erase-rounds 5 --ryw-rounds 3
