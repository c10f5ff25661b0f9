"""Reads one file out of a MediaPipe solution's packed assets (`*_packed_assets.data`).

The npm packages of MediaPipe's solutions (e.g. `@mediapipe/face_mesh`) pack their models into one
.data file; the loader script beside it lists each file's name and byte range
(`"filename": "/third_party/...", "start": N, "end": M`). Only a file asked for by name is read;
nothing else is written anywhere.
"""
import re

_ENTRY = re.compile(r'"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)')


def entries(loader_js_path):
    """{name: (start, end)} from the loader script."""
    with open(loader_js_path, encoding='utf-8') as f:
        text = f.read()
    found = {name: (int(start), int(end)) for name, start, end in _ENTRY.findall(text)}
    if not found:
        raise ValueError(f'{loader_js_path}: no packed file list found')
    return found


def read(data_path, loader_js_path, name):
    """The bytes of `name` (its path inside the pack, e.g. /third_party/.../face_landmark.tflite)."""
    table = entries(loader_js_path)
    if name not in table:
        raise ValueError(f'{name} is not in {loader_js_path} (has: {", ".join(sorted(table))})')
    start, end = table[name]
    with open(data_path, 'rb') as f:
        f.seek(start)
        data = f.read(end - start)
    if len(data) != end - start:
        raise ValueError(f'{data_path} is shorter than {loader_js_path} says')
    return data
