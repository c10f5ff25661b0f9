#!/usr/bin/env python3
"""Plans scripts/lint.sh's run over a unity-build compile_commands.json.

CMake's unity build (CMAKE_UNITY_BUILD) compiles a target's sources as batches: each
Unity/unity_N_cxx.cxx #includes up to BATCH_SIZE of them. clang-tidy on a batch parses the
system headers once for all its files and reports in each of them (the files match the
HeaderFilterRegex of .clang-tidy), so linting the batches that cover every file is ~5x cheaper
than linting each file alone. What a batch hides, the plan adds back:
  - a file of a target with a precompiled header is also parsed alone, without the PCH's forced
    include, so that each file still has to include what it uses (`alone` commands);
  - a file outside every batch (a target with unity builds off) is linted alone.

Writes into OUT_DIR:
  compile_commands.json  the database without the precompiled headers (for clang-tidy -p);
  units.txt              the batches (and lone files) to run clang-tidy on, one per line;
  alone.txt              shell commands, one per line: the compiler in -fsyntax-only mode on
                         each file of a PCH target, with its target's flags and no PCH.
Usage: scripts/lint_units.py UNITY_COMPILE_COMMANDS OUT_DIR FILE...
FILE: the sources to lint, relative to the repository (src/..., tools/...).
"""

import json
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compile_db_without_pch import (  # noqa: E402
    UNITY_INCLUDE, strip_pch, without_output, without_pch)


def arguments(entry):
    return entry.get("arguments") or shlex.split(entry["command"])


def main():
    db_path, out_dir = sys.argv[1:3]
    repo = os.getcwd()
    wanted = {os.path.join(repo, f) for f in sys.argv[3:]}
    with open(db_path, encoding="utf-8") as f:
        entries = json.load(f)

    batches = {}  # unit file -> (entry, the wanted files it includes)
    lone = {}  # a wanted file compiled on its own -> entry
    for e in entries:
        source = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if "/Unity/" in source:
            with open(source, encoding="utf-8") as f:
                included = {os.path.normpath(p) for p in UNITY_INCLUDE.findall(f.read())}
            batches[source] = (e, included & wanted, len(included - wanted))
        elif source in wanted:
            lone[source] = e

    # The fewest batches covering every wanted file (greedy: the most files not yet covered, then
    # the fewest other files, such as tests, first).
    left = wanted - set(lone)
    units = []
    while left:
        best = max(batches, key=lambda u: (len(batches[u][1] & left), -batches[u][2]), default=None)
        if best is None or not batches[best][1] & left:
            sys.exit("lint_units.py: in no compile command: " + ", ".join(sorted(left)))
        units.append(best)
        left -= batches[best][1]
    units += sorted(lone)

    # Each wanted file of a PCH target, alone: its batch's flags with the source swapped.
    alone, seen = [], set()
    for unit in sorted(batches):
        e, files, _ = batches[unit]
        args = arguments(e)
        if not any("cmake_pch.hxx" in a for a in args):
            continue
        flags = [a for a in without_output(without_pch(args)) if a not in ("-c", unit, e["file"])]
        for path in sorted(files - seen):
            seen.add(path)
            alone.append("cd %s && %s -fsyntax-only %s" % (
                shlex.quote(e["directory"]), shlex.join(flags), shlex.quote(path)))

    strip_pch(entries)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compile_commands.json"), "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1)
    with open(os.path.join(out_dir, "units.txt"), "w", encoding="utf-8") as f:
        f.write("".join(u + "\n" for u in units))
    with open(os.path.join(out_dir, "alone.txt"), "w", encoding="utf-8") as f:
        f.write("".join(c + "\n" for c in alone))
    print("lint_units.py: %d files in %d clang-tidy runs; %d parsed alone (PCH targets)" %
          (len(wanted), len(units), len(alone)))


if __name__ == "__main__":
    main()
