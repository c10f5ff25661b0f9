#!/usr/bin/env bash
# Builds facet and runs every test: unit, model (converted models vs golden tensors) and data
# tests (real evaluation data in ../shared/data; they skip when it is absent).
# Installs what it needs first (scripts/deps.sh, scripts/models.sh). Idempotent.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/deps.sh
bash scripts/models.sh
# The web UI test's browser driver (playwright-core, pinned by tests/web/package-lock.json; it
# drives Debian's chromium and downloads no browser).
if ! cmp -s tests/web/package-lock.json tests/web/node_modules/.facet-lock 2>/dev/null; then
  (cd tests/web && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.facet-lock)
fi
# Microsoft's Azure Face client for the compatibility test (pinned by
# tests/azure_client/package-lock.json).
if ! cmp -s tests/azure_client/package-lock.json tests/azure_client/node_modules/.facet-lock 2>/dev/null; then
  (cd tests/azure_client && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.facet-lock)
fi
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
ctest --preset release -j"$(nproc)" "$@"
