#!/usr/bin/env bash
# Time to ready of one `facet serve` node on a database store (docs/benchmarks.md, "Time to ready
# at a large gallery"): starts it, polls GET /readyz every 0.1 s, prints the seconds from the
# process start to the first 200, its RSS then and at its peak, and the node's own log lines about
# its indexes and snapshots; then stops it with SIGTERM (a clean shutdown: a node with
# --index-snapshot-dir writes its snapshots) and says how long that took.
#   time_to_ready.sh FACET STORE_URI KEY_FILE PORT [more facet serve flags...]
# e.g. time_to_ready.sh build/facet 'postgresql:///facet_test?host=/tmp/pg&user=postgres' \
#        master.key 18080 --index-snapshot-dir /tmp/node.index
set -euo pipefail
facet=${1:?facet binary}
store=${2:?store URI}
key_file=${3:?master key file}
port=${4:?port}
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No API key file: /readyz needs none.
start=$(date +%s.%N)
"$facet" serve --store "$store" --key-file "$key_file" --port "$port" --keys "$work/keys.json" \
  --workers 1 --no-ephemeral-key --no-web-ui "$@" 2>"$work/node.log" &
pid=$!
ready=""
while kill -0 "$pid" 2>/dev/null; do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    ready=$(date +%s.%N)
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "time_to_ready: the node exited before it was ready:" >&2
  cat "$work/node.log" >&2
  exit 1
fi
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
# Let a snapshot written once the node is up (a gallery built, or loaded and changed since)
# finish before stopping it: its log line says so.
if grep -q "building from the store" "$work/node.log" ||
  grep "loaded in" "$work/node.log" | grep -vq "(0 enrolled since inserted, 0 removed"; then
  for _ in $(seq 1200); do
    grep -q "written in\|index snapshot not written" "$work/node.log" && break
    sleep 0.5
  done
fi
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
stop=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid" || true
stopped=$(date +%s.%N)
awk -v s="$start" -v r="$ready" -v a="$rss" -v p="$peak" -v t0="$stop" -v t1="$stopped" 'BEGIN {
  printf "ready after %.2f s; RSS %.0f MB at ready, peak %.0f MB; stopped in %.2f s\n",
         r - s, a / 1024, p / 1024, t1 - t0 }'
grep -E "index|snapshot|built" "$work/node.log" || true
