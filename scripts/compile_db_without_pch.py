#!/usr/bin/env python3
"""Copies a compile_commands.json without CMake's precompiled headers.

CMake compiles a target with a PCH by forcing its header in: GCC gets
`-Winvalid-pch -include <dir>/cmake_pch.hxx` (and finds cmake_pch.hxx.gch beside it), clang gets
`-Xclang -include-pch -Xclang <pch> -Xclang -include -Xclang <dir>/cmake_pch.hxx`. Tools built on
clang (clang-tidy) cannot read GCC's .gch, and the forced include would hide a missing #include,
so this drops those arguments; each entry is written with "arguments" (no shell quoting).
A target built as unity batches (Unity/unity_N_cxx.cxx, each #including several sources) gets
one entry per source as well, with its batch's flags, so a tool can read each file alone.
Usage: scripts/compile_db_without_pch.py IN OUT
"""

import json
import os
import re
import shlex
import sys

UNITY_INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)  # a source of a unity batch


def without_pch(args):
    out = []
    i = 0
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a == "-Winvalid-pch":
            i += 1
        elif a == "-include" and nxt.endswith("cmake_pch.hxx"):
            i += 2
        elif (a == "-Xclang" and nxt in ("-include-pch", "-include") and i + 3 < len(args)
              and args[i + 2] == "-Xclang" and "cmake_pch.hxx" in args[i + 3]):
            i += 4
        else:
            out.append(a)
            i += 1
    return out


def without_output(args):
    """The arguments without "-o FILE"."""
    for i in (i for i, a in enumerate(args) if a == "-o"):
        return args[:i] + args[i + 2:]
    return args


def strip_pch(entries):
    """Rewrites each compile_commands.json entry in place: "arguments" without the PCH's."""
    for e in entries:
        args = e.pop("arguments", None) or shlex.split(e.pop("command"))
        e["arguments"] = without_pch(args)


def split_unity(entries):
    """Appends an entry for each source a unity batch includes: the batch's arguments with the
    batch file swapped for the source (the output dropped: these entries are for reading)."""
    for e in list(entries):
        batch = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if "/Unity/" not in batch:
            continue
        with open(batch, encoding="utf-8") as f:
            sources = UNITY_INCLUDE.findall(f.read())
        args = without_output(e["arguments"])
        for source in sources:
            entries.append({"directory": e["directory"], "file": source,
                            "arguments": [source if a in (e["file"], batch) else a
                                          for a in args]})


def main():
    src, dst = sys.argv[1:3]
    with open(src, encoding="utf-8") as f:
        entries = json.load(f)
    strip_pch(entries)
    split_unity(entries)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1)


if __name__ == "__main__":
    main()
