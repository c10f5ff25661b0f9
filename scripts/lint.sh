#!/usr/bin/env bash
# clang-tidy over facet's own sources (config: .clang-tidy; warnings are errors). Needs the
# release build's compile_commands.json (scripts/test.sh makes it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[ -f build/compile_commands.json ] || { echo "lint.sh: run scripts/test.sh first" >&2; exit 1; }
# clang-tidy reads the compile commands without the precompiled headers
# (cmake/precompiled_headers.cmake): clang cannot load GCC's .gch files, and without the forced
# include each file must include what it uses.
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
python3 scripts/compile_db_without_pch.py build/compile_commands.json "$db/compile_commands.json"
files=$(git ls-files 'src/*.cc' 'tools/*.cc' | grep -v '_test\.cc$')
printf '%s\n' $files | xargs -P "$(nproc)" -n 4 clang-tidy -p "$db" --quiet 2>/dev/null
echo "lint.sh: clang-tidy clean on $(echo $files | wc -w) files"
