#!/usr/bin/env bash
# Builds facet and runs every test: unit, model (converted models vs golden tensors) and data
# tests (real evaluation data in ../shared/data; they skip when it is absent).
# Installs what it needs first (scripts/deps.sh, scripts/models.sh). Idempotent.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/deps.sh
bash scripts/models.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
ctest --preset release -j"$(nproc)" "$@"
