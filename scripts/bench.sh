#!/usr/bin/env bash
# Per-stage latency and whole-photo throughput (Google Benchmark, 1 OpenCV thread), for
# docs/benchmarks.md. Needs a release build (scripts/test.sh or scripts/demo.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cmake --build --preset release --target engine_bench facet
./build/bench/engine_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "$@"
