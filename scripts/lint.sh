#!/usr/bin/env bash
# clang-tidy over facet's own sources (config: .clang-tidy; warnings are errors). Needs the
# release build's compile_commands.json (scripts/test.sh makes it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[ -f build/compile_commands.json ] || { echo "lint.sh: run scripts/test.sh first" >&2; exit 1; }
files=$(git ls-files 'src/*.cc' 'tools/*.cc' | grep -v '_test\.cc$')
printf '%s\n' $files | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet 2>/dev/null
echo "lint.sh: clang-tidy clean on $(echo $files | wc -w) files"
