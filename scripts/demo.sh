#!/usr/bin/env bash
# From a fresh machine to a first result: installs dependencies, fetches and converts the pinned
# models, builds facet, then detects the faces in the sample photos (writing annotated copies to
# out/) and compares faces. Idempotent.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/deps.sh
bash scripts/models.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target facet
samples=models/src/@vladmandic/face-api@1.7.15/demo
mkdir -p out
echo
echo "== facet detect: faces, landmarks and quality in the sample photos =="
./build/facet detect "$samples"/sample{1,2,3,4,5,6}.jpg --draw out/annotated.jpg
echo
echo "== facet compare: the same photo against a resized, recompressed copy, and two people =="
./build/facet compare "$samples/sample1.jpg" "$samples/sample1.jpg"
./build/facet compare "$samples/sample2.jpg" "$samples/sample4.jpg"
echo
echo "Annotated images: out/annotated-0.jpg ... out/annotated-5.jpg"
