#!/usr/bin/env python3
"""Checks that facet's libraries are layered: no library links against one above it.

Reads the CMake files (facet_add_library, add_library, facet_add_test, add_executable,
target_link_libraries)
and the #include lines of every built source, then checks:
  1. every facet library has a layer in LAYERS below, and every layer names real libraries;
  2. a library links only against facet libraries of its own layer or below, without cycles;
  3. a file includes only headers of its own library or of libraries it links against
     (directly or not): an include may not reach around the link graph;
  4. the libraries built from one folder of src/ are all of one layer (a folder is one floor);
  5. every .cc under src/ and tools/ is built by some target (a moved file is not left behind).
The layers are described in docs/architecture.md and the README's layout table.
Usage: scripts/check_layers.py [REPO]   (exit code 0 when layered, 1 with one line per problem)
"""

import os
import re
import sys

# Bottom-up. A library may link against libraries of its own layer or a lower one.
LAYERS = [
    ("base", ["facet_core"]),
    ("primitives", ["facet_image", "facet_nn", "facet_crypto"]),
    ("parts", ["facet_detect", "facet_landmarks", "facet_align", "facet_embed", "facet_quality",
               "facet_audit", "facet_index", "facet_video"]),
    ("pipelines", ["facet_engine", "facet_store"]),
    ("features", ["facet_gallery", "facet_gallery_images", "facet_redact", "facet_eval",
                  "facet_cluster_eval", "facet_video_eval"]),
    ("service", ["facet_service", "facet_api_keys"]),
    ("tools", ["facet_cli"]),  # what the CLI's subcommands share (tools/facet/)
]

# The public headers (include/facet/) and the library that implements each.
PUBLIC_HEADERS = {
    "facet/status.h": "facet_core",
    "facet/types.h": "facet_core",
    "facet/image.h": "facet_image",
    "facet/audit.h": "facet_audit",
    "facet/api_keys.h": "facet_api_keys",
    "facet/engine.h": "facet_engine",
    "facet/annotate.h": "facet_engine",
    "facet/models.h": "facet_engine",
    "facet/gallery.h": "facet_gallery",
    "facet/search.h": "facet_gallery",
    "facet/redact.h": "facet_redact",
    "facet/service.h": "facet_service",
}

# (file, header) pairs allowed to include across the link graph, each with its reason.
ALLOWED_INCLUDES = {
    # The model-free helpers declared in engine.h (CosineSimilarity, SimilarityToConfidence,
    # LargestFace, CentredFace) are implemented on the ground floor so the galleries need no
    # inference stage; compare.cc calls nothing of the engine.
    ("src/core/compare.cc", "facet/engine.h"),
}

SCANNED_DIRS = ["src", "tests", "tools", "bench"]  # CMake files read
BUILT_DIRS = ["src", "tools"]  # every .cc here must belong to a target


def cmake_calls(path):
    """Yields (command, [arguments]) of every call in a CMake file."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"#[^\n]*", "", text)
    for match in re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield match.group(1), text[match.end():i - 1].split()


def resolve(token, cmake_dir, repo):
    token = token.strip('"')
    token = token.replace("${CMAKE_SOURCE_DIR}", repo)
    token = token.replace("${CMAKE_CURRENT_SOURCE_DIR}", cmake_dir)
    if "$" in token or not re.search(r"\.(cc|h)$", token):
        return None
    return os.path.relpath(os.path.normpath(os.path.join(cmake_dir, token)), repo)


def read_targets(repo):
    """Returns {target: {"sources": set, "deps": set, "library": bool}}."""
    targets = {}
    for top in SCANNED_DIRS:
        for root, dirs, files in os.walk(os.path.join(repo, top)):
            dirs[:] = [d for d in dirs if d != "node_modules"]
            if "CMakeLists.txt" not in files:
                continue
            for command, args in cmake_calls(os.path.join(root, "CMakeLists.txt")):
                if not args:
                    continue
                name = args[0]
                if command in ("facet_add_library", "add_library", "facet_add_test",
                               "add_executable"):
                    target = targets.setdefault(
                        name, {"sources": set(), "deps": set(), "library": False})
                    target["library"] |= command in ("facet_add_library", "add_library")
                    section = "SOURCES"
                    for token in args[1:]:
                        if token in ("STATIC", "OBJECT", "INTERFACE"):
                            continue
                        if token in ("SOURCES", "DEPS", "LABEL"):
                            section = token
                        elif section == "SOURCES":
                            source = resolve(token, root, repo)
                            if source:
                                target["sources"].add(source)
                        elif section == "DEPS":
                            target["deps"].add(token)
                elif command == "target_link_libraries" and name in targets:
                    targets[name]["deps"].update(
                        a for a in args[1:] if a not in ("PUBLIC", "PRIVATE", "INTERFACE"))
    for target in targets.values():
        target["deps"] = {d for d in target["deps"] if d.startswith("facet_")} - {"facet_warnings"}
    return targets


def closure(name, targets):
    """The facet libraries `name` links against, directly or not."""
    seen, todo = set(), [name]
    while todo:
        for dep in targets.get(todo.pop(), {}).get("deps", ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def header_owner(header, libraries, layer_of):
    """The library that a src/ header belongs to: its .cc's library, else its folder's lowest."""
    if header in PUBLIC_HEADERS:
        return PUBLIC_HEADERS[header]
    source = "src/" + header[:-2] + ".cc"
    folder = os.path.dirname("src/" + header)
    in_folder = []
    for name, target in libraries.items():
        if source in target["sources"]:
            return name
        if any(os.path.dirname(s) == folder for s in target["sources"]):
            in_folder.append(name)
    return min(in_folder, key=lambda n: layer_of.get(n, 99)) if in_folder else None


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    targets = read_targets(repo)
    libraries = {n: t for n, t in targets.items() if t["library"]}
    layer_of = {lib: i for i, (_, libs) in enumerate(LAYERS) for lib in libs}
    layer_name = [name for name, _ in LAYERS]
    problems = []

    for lib in sorted(set(libraries) - set(layer_of)):
        problems.append(f"{lib}: no layer (add it to LAYERS in scripts/check_layers.py)")
    for lib in sorted(set(layer_of) - set(libraries)):
        problems.append(f"{lib}: in LAYERS but no such library")

    for name, target in sorted(targets.items()):
        for dep in sorted(target["deps"]):
            if dep not in libraries:
                problems.append(f"{name}: links against {dep}, which is no facet library")
            elif name in layer_of and dep in layer_of and layer_of[dep] > layer_of[name]:
                problems.append(
                    f"{name} (layer {layer_name[layer_of[name]]}) links against {dep} "
                    f"(layer {layer_name[layer_of[dep]]}, above it)")
        if name in libraries and name in closure(name, libraries):
            problems.append(f"{name}: depends on itself (a cycle)")

    floors = {}
    for name, target in libraries.items():
        for source in target["sources"]:
            parts = source.split(os.sep)
            if parts[0] == "src" and len(parts) > 2 and name in layer_of:
                floors.setdefault(parts[1], {}).setdefault(layer_of[name], set()).add(name)
    for folder, by_layer in sorted(floors.items()):
        if len(by_layer) > 1:
            mixed = "; ".join(f"{layer_name[layer]}: {', '.join(sorted(libs))}"
                              for layer, libs in sorted(by_layer.items()))
            problems.append(f"src/{folder} holds libraries of several layers ({mixed})")

    include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
    for name, target in sorted(targets.items()):
        reachable = closure(name, targets) | {name}
        for source in sorted(target["sources"]):
            path = os.path.join(repo, source)
            if not os.path.exists(path):
                problems.append(f"{name}: source {source} does not exist")
                continue
            for header in include_re.findall(open(path, encoding="utf-8").read()):
                owner = header_owner(header, libraries, layer_of)
                if owner is None or owner in reachable or (source, header) in ALLOWED_INCLUDES:
                    continue
                problems.append(f"{source} ({name}) includes {header} of {owner}, "
                                f"which {name} does not link against")

    # The headers of src/, each against the links of the library that owns it.
    for root, _, files in os.walk(os.path.join(repo, "src")):
        for file in sorted(files):
            if not file.endswith(".h"):
                continue
            source = os.path.relpath(os.path.join(root, file), repo)
            owner = header_owner(source[len("src/"):], libraries, layer_of)
            if owner is None:
                problems.append(f"{source}: belongs to no library (no library builds its folder)")
                continue
            reachable = closure(owner, libraries) | {owner}
            text = open(os.path.join(repo, source), encoding="utf-8").read()
            for header in include_re.findall(text):
                other = header_owner(header, libraries, layer_of)
                if other is None or other in reachable or (source, header) in ALLOWED_INCLUDES:
                    continue
                problems.append(f"{source} ({owner}) includes {header} of {other}, "
                                f"which {owner} does not link against")

    built = set().union(*(t["sources"] for t in targets.values()))
    for top in BUILT_DIRS:
        for root, _, files in os.walk(os.path.join(repo, top)):
            for file in files:
                source = os.path.relpath(os.path.join(root, file), repo)
                if file.endswith(".cc") and source not in built:
                    problems.append(f"{source}: built by no target")

    for problem in problems:
        print("check_layers: " + problem)
    if problems:
        return 1
    print(f"check_layers: {len(libraries)} libraries in {len(LAYERS)} layers, "
          f"{len(targets) - len(libraries)} executables and tests: layered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
