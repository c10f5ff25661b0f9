#!/usr/bin/env bash
# facet never infers age, gender, race/ethnicity or emotion, and no model that does may reach the
# disk: not in models/ (scripts/models.sh extracts only the files models/lock.tsv lists), not in
# the benchmark or test node_modules (bench/peers/run.sh and scripts/test.sh prune them). Fails,
# listing them, if any such file exists under the repository or the model directory.
# Usage: no_sensitive_models_test.sh REPO_DIR MODEL_DIR
set -euo pipefail
repo=$1
models=$2
# Files of face-api (age_gender_model, face_expression_model) and of @vladmandic/human /
# human-models (age, gender, gender-ssrnet-imdb, emotion, gear = age/gender/race, faceres* =
# age/gender with the descriptor, affectnet); any name with these words is flagged.
pattern='(^|[-_/.])(age|gender|emotion|expression|gear|race|ethnic|faceres|affectnet|ssrnet)([-_.]|$)'
found=$(find "$repo" "$models" -path "$repo/.git" -prune -o -type f \
          \( -name '*.bin' -o -name '*.json' -o -name '*.onnx' -o -name '*.tflite' -o -name '*.pb' \
             -o -name '*.tgz' -o -name '*.pt' -o -name '*.pth' -o -name '*.caffemodel' \) -print 2>/dev/null \
        | awk -F/ '{print $NF "\t" $0}' | grep -Ei "^[^	]*$pattern" | cut -f2 \
        | grep -v '/package\.json$' | grep -v '/package-lock\.json$' | grep -v '/tsconfig' || true)
# Tarballs could hold them packed: none may be kept at all (models.sh streams, never stores them).
tarballs=$(find "$models" -name '*.tgz' -print 2>/dev/null || true)
if [ -n "$found$tarballs" ]; then
  echo "FAIL: sensitive-attribute models (or package tarballs) on disk:" >&2
  printf '%s\n' $found $tarballs >&2
  exit 1
fi
echo "no sensitive-attribute model under $repo or $models"
