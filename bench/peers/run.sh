#!/usr/bin/env bash
# facet against ONNX Runtime and TensorFlow.js (wasm) on the same models and inputs, interleaved in
# one run; writes the table into docs/benchmarks.md (between the peers:begin/end markers).
# One command from a fresh machine (installs and builds what it needs; not run in CI):
#   bash bench/peers/run.sh [--rounds 3] [--iterations 30] [--threads 1,2] [--note "under load"]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
bash scripts/deps.sh
bash scripts/models.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target stage_bench
# Pinned peer runtimes (package-lock.json). --ignore-scripts: onnxruntime-node's postinstall tries
# to download GPU binaries; the CPU library ships inside the package.
lock_stamp=bench/peers/node_modules/.facet-lock.sha256
want=$(sha256sum bench/peers/package-lock.json | cut -d' ' -f1)
if [ ! -f "$lock_stamp" ] || [ "$(cat "$lock_stamp")" != "$want" ]; then
  (cd bench/peers && npm ci --ignore-scripts --no-audit --no-fund)
  echo "$want" > "$lock_stamp"
fi
bash bench/peers/prune_models.sh  # no age/gender/emotion model may stay on disk
node bench/peers/peers.cjs --stage-bench build/bench/stage_bench --models "$repo/models" \
  --doc docs/benchmarks.md "$@"
