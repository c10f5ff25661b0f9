#!/usr/bin/env bash
# clang-tidy over facet's own sources (config: .clang-tidy; warnings are errors).
#
#   scripts/lint.sh            every source of src/ and tools/ but the tests, read as CMake's
#                              unity batches (build-lint/: configured, never built; one parse for
#                              up to 16 files, ~5x cheaper than one per file: docs/benchmarks.md),
#                              then what a batch hides: each file of a target with a precompiled
#                              header parsed alone (it must include what it uses) and no .cc file
#                              including another (bugprone-suspicious-include, off for batches).
#   scripts/lint.sh FILE...    clang-tidy on each file alone (the release build's compile
#                              commands: run scripts/test.sh first).
#
# clang-tidy reads the compile commands without the precompiled headers
# (scripts/compile_db_without_pch.py): clang cannot load GCC's .gch files.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
jobs=$(nproc)

if [ $# -gt 0 ]; then
  [ -f build/compile_commands.json ] || { echo "lint.sh: run scripts/test.sh first" >&2; exit 1; }
  python3 scripts/compile_db_without_pch.py build/compile_commands.json "$db/compile_commands.json"
  printf '%s\n' "$@" | xargs -P "$jobs" -n 1 clang-tidy -p "$db" --quiet 2>/dev/null
  echo "lint.sh: clang-tidy clean on $# files"
  exit 0
fi

mapfile -t files < <(git ls-files 'src/*.cc' 'tools/*.cc' | grep -v '_test\.cc$')
cmake --preset release -B build-lint -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 \
  >"$db/configure.log" || { cat "$db/configure.log" >&2; exit 1; }
python3 scripts/lint_units.py build-lint/compile_commands.json "$db" "${files[@]}"
# The batches live outside the repository: name the configuration, or clang-tidy finds none.
xargs -P "$jobs" -n 1 clang-tidy -p "$db" --config-file=.clang-tidy \
  --checks=-bugprone-suspicious-include --quiet <"$db/units.txt" 2>/dev/null
if grep -nE '^\s*#\s*include\s*[<"][^>"]*\.(cc|cpp|cxx)[>"]' "${files[@]}" include/facet/*.h \
    $(git ls-files 'src/*.h' 'tools/*.h'); then
  echo "lint.sh: a source includes a .cc file (bugprone-suspicious-include)" >&2
  exit 1
fi
tr '\n' '\0' <"$db/alone.txt" | xargs -0 -P "$jobs" -n 1 bash -c
echo "lint.sh: clang-tidy clean on ${#files[@]} files ($(wc -l <"$db/units.txt") runs)," \
  "$(wc -l <"$db/alone.txt") parsed alone"
