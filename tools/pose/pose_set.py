#!/usr/bin/env python3
"""Head pose and the quality verdict on the blind-labelled pose set (tools/pose/pose_labels.tsv).

Usage:
  /usr/bin/python3 tools/pose/pose_set.py list DATA                 # image paths, one a line
  build/facet detect $(... list DATA) --json > detect.json
  /usr/bin/python3 tools/pose/pose_set.py table DATA detect.json [--faces FILE]

DATA is ../shared/data. Each labelled face is matched to the detection of highest IoU with its
box (>= 0.4; box "-": the largest face of the image). `table` prints, per label: faces found,
the share with abs(yaw) >= 45 and <= 20, mean abs(yaw), the quality verdicts, and which method
gave the pose (`quality_details.pose_method`, when the JSON has it). --faces writes one line per
face (label, image, box, yaw, pitch, roll, quality, method) to look at them one by one.
"""
import argparse
import collections
import json
import os

from wider_atypical import iou  # same folder

LABELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pose_labels.tsv')
ORDER = ['frontal', 'three-quarter', 'profile', 'back', 'unsure']


def read_labels():
    faces = []
    with open(LABELS) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            image, x, y, w, h, label = line.rstrip('\n').split('\t')
            box = None if x == '-' else tuple(float(v) for v in (x, y, w, h))
            faces.append((image, box, label))
    return faces


def match(box, detections):
    """The detection of `box` (largest face when box is None), or None."""
    if not detections:
        return None
    if box is None:
        return max(detections, key=lambda d: d['box'][2] * d['box'][3])
    best = max(detections, key=lambda d: iou(box, d['box']))
    return best if iou(box, best['box']) >= 0.4 else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('mode', choices=['list', 'table'])
    parser.add_argument('data')
    parser.add_argument('detect_json', nargs='?')
    parser.add_argument('--faces')
    args = parser.parse_args()
    labelled = read_labels()
    if args.mode == 'list':
        print('\n'.join(sorted({os.path.join(args.data, image) for image, _, _ in labelled})))
        return
    with open(args.detect_json) as f:
        text = f.read().strip()
    results = json.loads(text) if text.startswith('[') else [json.loads(l) for l in text.splitlines()]
    by_image = {os.path.realpath(r['image']): r.get('faces', []) for r in results}
    stats = collections.defaultdict(lambda: collections.Counter())
    yaws = collections.defaultdict(list)
    out = open(args.faces, 'w') if args.faces else None
    for image, box, label in labelled:
        s = stats[label]
        s['faces'] += 1
        d = match(box, by_image.get(os.path.realpath(os.path.join(args.data, image)), []))
        if d is None or 'quality_details' not in d:
            if out:
                out.write(f'{label}\t{image}\t{box}\tnot found\n')
            continue
        q = d['quality_details']
        yaw = abs(q['yaw'])
        s['found'] += 1
        s['turned'] += yaw >= 45
        s['frontal'] += yaw <= 20
        s['quality ' + d['quality']] += 1
        s['method ' + q.get('pose_method', '-')] += 1
        yaws[label].append(yaw)
        if out:
            out.write(f"{label}\t{image}\t{box}\t{q['yaw']:.1f}\t{q['pitch']:.1f}\t{q['roll']:.1f}\t"
                      f"{d['quality']}\t{q.get('pose_method', '-')}\n")
    print(f"{'label':14s} {'found':>9s} {'|yaw|>=45':>10s} {'|yaw|<=20':>10s} {'mean|yaw|':>9s}  "
          'quality low/medium/high   pose method')
    for label in ORDER:
        s = stats[label]
        n = s['found']
        if not s['faces']:
            continue
        pct = lambda k: f"{100.0 * s[k] / n:5.1f} %" if n else '    -'
        mean = sum(yaws[label]) / n if n else 0
        methods = ' '.join(f"{k[7:]} {v}" for k, v in sorted(s.items()) if k.startswith('method '))
        print(f"{label:14s} {n:4d}/{s['faces']:<4d} {pct('turned'):>10s} {pct('frontal'):>10s} "
              f"{mean:9.1f}  {s['quality low']:4d} {s['quality medium']:4d} {s['quality high']:4d}"
              f"            {methods}")


if __name__ == '__main__':
    main()
