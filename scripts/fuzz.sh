#!/usr/bin/env bash
# Builds the libFuzzer target (preset "fuzz", clang-14 with ASan+UBSan) and runs it for a bounded
# time: raw bytes as HTTP requests through httplib's parser and facet's API layer.
# Usage: scripts/fuzz.sh [SECONDS (default 60)]. Findings (crash-*, leak-*) land in build-fuzz/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
corpus=build-fuzz/corpus/service
mkdir -p "$corpus"
# Seeds are committed; what the fuzzer finds stays in build-fuzz (not in the repository).
./build-fuzz/src/service_fuzz "$corpus" tests/fuzz/service_seeds \
  -dict=tests/fuzz/service.dict -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix=build-fuzz/ -print_final_stats=1 2>&1 | tail -n 25
