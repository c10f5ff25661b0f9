#!/usr/bin/env python3
"""Head pose on WIDER FACE's faces marked "atypical pose", for a look by eye.

Usage:
  /usr/bin/python3 tools/pose/wider_atypical.py list WIDER_DIR [--min-size 40]   # image paths
  build/facet detect $(...list...) --json > detect.json
  /usr/bin/python3 tools/pose/wider_atypical.py table WIDER_DIR detect.json [--crops DIR]

Faces: pose flag 1 in wider_face_val_bbx_gt.txt, not invalid, min(w, h) >= --min-size. Each is
matched to the detection of highest IoU (>= 0.5). `table` prints one line per face (image, box,
yaw, pitch, roll) and the share with abs(yaw) >= 45; with --crops, writes each face with a
margin as DIR/NNN.png (with ffmpeg) to check by eye what the head really does.
"""
import argparse
import json
import os
import subprocess
import sys


def faces(wider, min_size):
    out = []
    with open(os.path.join(wider, 'wider_face_val_bbx_gt.txt')) as f:
        lines = [line.strip() for line in f]
    i = 0
    while i < len(lines):
        path = lines[i]
        count = int(lines[i + 1])
        rows = lines[i + 2:i + 2 + max(count, 1)]
        i += 2 + max(count, 1)
        for row in rows[:count]:
            x, y, w, h, _, _, _, invalid, _, pose = (int(v) for v in row.split()[:10])
            if pose == 1 and not invalid and min(w, h) >= min_size:
                out.append((os.path.join(wider, 'images', path), (x, y, w, h)))
    return out


def iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('mode', choices=['list', 'table'])
    parser.add_argument('wider')
    parser.add_argument('detect_json', nargs='?')
    parser.add_argument('--min-size', type=int, default=40)
    parser.add_argument('--crops')
    args = parser.parse_args()
    selected = faces(args.wider, args.min_size)
    if args.mode == 'list':
        print('\n'.join(sorted({path for path, _ in selected})))
        return
    with open(args.detect_json) as f:
        text = f.read().strip()
    results = json.loads(text) if text.startswith('[') else [json.loads(line) for line in text.splitlines()]
    by_image = {os.path.realpath(r['image']): r.get('faces', []) for r in results}
    if args.crops:
        os.makedirs(args.crops, exist_ok=True)
    found = turned = 0
    for n, (path, box) in enumerate(selected):
        candidates = by_image.get(os.path.realpath(path), [])
        best = max(candidates, key=lambda d: iou(box, d['box']), default=None)
        if best is None or iou(box, best['box']) < 0.5 or 'quality_details' not in best:
            print(f'{n:3d} {os.path.relpath(path, args.wider)} {box} not found')
            continue
        q = best['quality_details']
        found += 1
        turned += abs(q['yaw']) >= 45
        print(f"{n:3d} {os.path.relpath(path, args.wider)} {box} yaw {q['yaw']:6.1f} "
              f"pitch {q['pitch']:6.1f} roll {q['roll']:6.1f}")
        if args.crops:
            x, y, w, h = box
            m = max(w, h) // 2
            x0, y0 = max(0, x - m), max(0, y - m)
            crop = (f'crop=w=min(in_w-{x0}\\,{w + 2 * m}):h=min(in_h-{y0}\\,{h + 2 * m})'
                    f':x={x0}:y={y0}:exact=1')
            subprocess.run(['ffmpeg', '-loglevel', 'error', '-y', '-i', path, '-vf',
                            f'{crop},scale=160:160', os.path.join(args.crops, f'{n:03d}.png')],
                           check=True)
    print(f'{len(selected)} faces, {found} found, abs(yaw) >= 45: {turned}', file=sys.stderr)


if __name__ == '__main__':
    main()
