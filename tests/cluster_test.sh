#!/usr/bin/env bash
# The short fault test (ctest cluster_test): a cluster of 2 facet nodes on Patroni + PostgreSQL
# 15 + etcd + HAProxy on loopback (scripts/cluster.sh), erase visibility, a node killed, a node
# stopped, one kill -9 of the PostgreSQL primary under write load; no acknowledged write lost and
# the audit chain intact (scripts/cluster_faults.py). Usage: cluster_test.sh FACET_BINARY
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export FACET_BIN=$1
dir=$(mktemp -d /tmp/facet-cluster-test.XXXXXX)
# A port range of its own per run (several worktrees may test at once).
base=$((20000 + ($(echo "$dir" | cksum | cut -d' ' -f1) % 400) * 100))
trap 'bash "$repo/scripts/cluster.sh" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bash "$repo/scripts/cluster.sh" up --nodes 2 --dir "$dir" --port-base "$base"
/usr/bin/python3 "$repo/scripts/cluster_faults.py" --dir "$dir" --failovers 1 --erase-rounds 5 --ryw-rounds 3
