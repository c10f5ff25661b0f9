#!/usr/bin/env bash
# Benchmarks facet serve's /face/v1.0/detect with wrk on loopback, against the engine's own
# throughput for the same work on the same cores, and soaks the server for memory growth.
#   bash scripts/serve_bench.sh                 # 30 s per concurrency, 60 s soak
#   SOAK_SECONDS=300 bash scripts/serve_bench.sh   # the 5-minute soak of docs/benchmarks.md
#   RUN=identify bash scripts/serve_bench.sh     # only the /identify runs
# Env: DURATION (s per concurrency run, default 30), SOAK_SECONDS (default 60), SOAK_CONNECTIONS
# (default 32), WORKERS (server inference threads, default: one per core), RUN (detect,identify:
# which parts; default both), PERSONS (gallery size of the identify runs, default 10000).
# /identify: a gallery of PERSONS persons, PERSONS-10 synthetic distractors (random unit templates
# of the model, inserted through the public galleries API by bench/gallery_fill) and 10 real LFW
# persons enrolled through the HTTP API (their first photo); the probes are faceIds of their second
# photo, one per request. Needs ../shared/data/lfw (skipped without it). Needs a release build.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
duration=${DURATION:-30}
soak=${SOAK_SECONDS:-60}
soak_connections=${SOAK_CONNECTIONS:-32}
workers=${WORKERS:-$(nproc)}
run=${RUN:-detect,identify}
persons=${PERSONS:-10000}
lfw=$repo/../shared/data/lfw/images
command -v wrk >/dev/null || { echo "serve_bench.sh: wrk is missing (scripts/deps.sh installs it)" >&2; exit 1; }
cmake --build --preset release --target facet serve_bench gallery_fill >/dev/null

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

image=$work/photo640x480.jpg
./build/bench/serve_bench --make-image "$image"
key=$(./build/facet serve keys add --keys "$work/keys.json" --name bench \
  --scopes detect,identify,admin --rate 1000000 --burst 1000000)

store_flags=()
if [[ $run == *identify* ]]; then
  if [ -d "$lfw" ]; then
    echo "== gallery: $((persons - 10)) synthetic distractors through the galleries API =="
    fill_start=$(date +%s)
    ./build/bench/gallery_fill --store "$work/store.db" --key-file "$work/master.key" \
      --gallery bench --persons "$((persons - 10))" 2>&1 | tail -n 1
    echo "filled in $(( $(date +%s) - fill_start )) s"
    store_flags=(--store "$work/store.db" --key-file "$work/master.key")
  else
    echo "serve_bench.sh: $lfw is missing: no /identify runs" >&2
    run=${run//identify/}
  fi
fi

./build/facet serve --port 0 --keys "$work/keys.json" --workers "$workers" --queue 256 \
  "${store_flags[@]}" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port/face/v1.0/detect"

cat >"$work/detect.lua" <<LUA
local f = io.open("$image", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
wrk.headers["Ocp-Apim-Subscription-Key"] = "$key"
local counts = {}
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.1f p99_ms=%.1f " ..
    "socket_errors=connect:%d,read:%d,write:%d,timeout:%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.timeout, e.status))
end
LUA
# Per-thread status counts do not reach done() in wrk; count 5xx from the server's access log.
cpu_seconds() {  # user+sys CPU seconds of the server so far
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$server/stat"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
count_status() {  # count_status REGEX: access-log lines of /detect with that status
  grep -c "POST /face/v1.0/detect $1 " "$work/server.log" || true
}

if [[ $run == *detect* ]]; then
echo "== engine alone: decode + detect of the same 640x480 JPEG, one Session per thread =="
./build/bench/serve_bench "$image" --benchmark_min_time=5 2>/dev/null | grep -E 'BM_|Benchmark'

wrk -t1 -c2 -d3s -s "$work/detect.lua" "$url" >/dev/null  # warm-up
for connections in 8 32; do
  echo "== wrk: $connections connections, ${duration}s, server with $workers workers =="
  cpu0=$(cpu_seconds); ok0=$(count_status 200); bad0=$(count_status '5[0-9][0-9]')
  wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s --latency -s "$work/detect.lua" "$url" \
    | grep -E 'RESULT|Non-2xx'
  cpu1=$(cpu_seconds); ok1=$(count_status 200); bad1=$(count_status '5[0-9][0-9]')
  echo "server: $((ok1 - ok0)) answered 200, $((bad1 - bad0)) answered 5xx," \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v n="$((ok1 - ok0))" 'BEGIN {printf "%.2f", 1000 * (b - a) / n}') ms CPU per request"
done

fi

if [[ $run == *identify* ]]; then
  api=http://127.0.0.1:$port/face/v1.0
  hdr=(-H "Ocp-Apim-Subscription-Key: $key")
  echo "== /identify: enroll 10 real LFW persons through the API, probes from their second photo =="
  probes=()
  expected=()
  for dir in $(cd "$lfw" && ls | head -n 400); do
    [ -f "$lfw/$dir/${dir}_0002.jpg" ] || continue
    p="lfw-$dir"
    curl -sf "${hdr[@]}" -H 'Content-Type: application/json' -d "{\"personId\": \"$p\"}" \
      "$api/persongroups/bench/persons" >/dev/null
    curl -sf "${hdr[@]}" -H 'Content-Type: application/json' \
      -d '{"grantedBy": "benchmark", "scope": "identify", "purpose": "benchmark"}' \
      "$api/persongroups/bench/persons/$p/consents" >/dev/null
    curl -sf "${hdr[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$lfw/$dir/${dir}_0001.jpg" \
      "$api/persongroups/bench/persons/$p/persistedfaces?minQuality=low" >/dev/null || continue
    id=$(curl -sf "${hdr[@]}" -H 'Content-Type: image/jpeg' \
      --data-binary "@$lfw/$dir/${dir}_0002.jpg" "$api/detect?returnFaceId=true&faceIdTimeToLive=600" \
      | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["faceId"] if d else "")')
    [ -n "$id" ] || continue
    probes+=("$id")
    expected+=("$p")
    [ ${#probes[@]} -ge 10 ] && break
  done
  curl -sf "${hdr[@]}" "$api/persongroups/bench" | /usr/bin/python3 -c \
    'import json,sys; d=json.load(sys.stdin); print("gallery:", d["personCount"], "persons,", d["faceCount"], "faces")'
  ids_json=$(printf '"%s",' "${probes[@]}")
  ids_json="[${ids_json%,}]"
  curl -sf "${hdr[@]}" -H 'Content-Type: application/json' \
    -d "{\"personGroupId\": \"bench\", \"faceIds\": $ids_json, \"purpose\": \"benchmark\"}" \
    "$api/identify" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); want = sys.argv[1:]
ok = sum(1 for r, w in zip(d, want) if r["decision"] == w)
print(f"probes identified as their person: {ok}/{len(want)}")
for r, w in zip(d, want):
    if r["decision"] != w: print("  probe of", w + ":", r["decision"])' "${expected[@]}"
  cat >"$work/identify.lua" <<LUA
local ids = {$(printf '"%s",' "${probes[@]}")}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Ocp-Apim-Subscription-Key"] = "$key"
function request()
  n = n + 1
  local body = '{"personGroupId": "bench", "purpose": "benchmark", "faceIds": ["' .. ids[(n % #ids) + 1] .. '"]}'
  return wrk.format(nil, nil, nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f " ..
    "socket_errors=connect:%d,read:%d,write:%d,timeout:%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect, e.read, e.write, e.timeout, e.status))
end
LUA
  count_identify() { grep -c "POST /face/v1.0/identify $1 " "$work/server.log" || true; }
  wrk -t1 -c2 -d3s -s "$work/identify.lua" "$api/identify" >/dev/null  # warm-up
  for connections in 8 32; do
    echo "== wrk /identify: $connections connections, ${duration}s, $persons-person gallery =="
    cpu0=$(cpu_seconds); ok0=$(count_identify 200); bad0=$(count_identify '5[0-9][0-9]')
    wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s --latency -s "$work/identify.lua" \
      "$api/identify" | grep -E 'RESULT|Non-2xx'
    cpu1=$(cpu_seconds); ok1=$(count_identify 200); bad1=$(count_identify '5[0-9][0-9]')
    echo "server: $((ok1 - ok0)) answered 200, $((bad1 - bad0)) answered 5xx," \
      "$(awk -v a="$cpu0" -v b="$cpu1" -v n="$((ok1 - ok0))" 'BEGIN {printf "%.2f", 1000 * (b - a) / n}') ms CPU per request"
  done
fi

[[ $run == *detect* ]] || exit 0
echo "== soak: $soak_connections connections for ${soak}s =="
rss0=$(rss_kib); bad0=$(count_status '5[0-9][0-9]')
wrk -t1 -c"$soak_connections" -d"${soak}s" --timeout 30s -s "$work/detect.lua" "$url" | grep RESULT
rss1=$(rss_kib); bad1=$(count_status '5[0-9][0-9]')
echo "server RSS: ${rss0} KiB after warm-up and the runs above, ${rss1} KiB after the soak" \
  "($(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%+.1f", 100 * (b - a) / a}') %); 5xx during the soak: $((bad1 - bad0))"
