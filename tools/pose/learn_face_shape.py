#!/usr/bin/env python3
"""Learns the 3D face shape facet solves head pose against, from 68-point landmarks alone.

No 3D scan is shipped with facet's models, so the shape is recovered from many 2D views of faces
by rank-3 factorisation (Tomasi & Kanade 1992) under a scaled-orthographic camera, with the
metric upgrade that makes each view's projection rows orthogonal and of equal length:
  1. every face's 68 points (and its mirror image, points renumbered) are centred and scaled;
  2. W (2F x 68) = M S, found by SVD truncated to rank 3;
  3. Q with (M Q) rows orthogonal and equal in each view: L = Q Q^T by linear least squares;
  4. S = Q^-1 S_hat, turned so that the mean view is frontal (identity rotation), the nose
     pointing at the camera (-z), then averaged with its mirror (left/right symmetric);
  5. scaled so the outer eye corners are 90 units (about millimetres) apart, and its depth (z)
     scaled so the nose tip lies 0.42 x that distance in front of the outer eye corners, the
     anthropometric average: the factorisation alone leaves the depth poorly determined when the
     views turn little (it gave 0.59 on LFW, a face as deep as few are), and too deep a shape
     reads every turn as smaller than it is.

Input: the JSON of `facet detect --json` over the development images (the LFW View 1 training
list, pairsDevTrain.txt: LFW's own development split, not the 10-fold test pairs); per image the
face nearest the image centre. Output: a C++ include with the 68 x 3 points.

Usage: /usr/bin/python3 tools/pose/learn_face_shape.py DETECT.json > src/quality/face_shape68.inc
"""
import json
import sys

import numpy as np

MIRROR = (list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] +
          [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] +
          [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])
assert sorted(MIRROR) == list(range(68))
NOSE_DEPTH = 0.42  # nose tip in front of the outer eye corners, in outer-eye-corner distances


def load_views(path):
    views = []
    for entry in json.load(open(path)):
        faces = [f for f in entry.get('faces', []) if 'landmarks68' in f]
        if not faces:
            continue
        cx, cy = entry['width'] / 2, entry['height'] / 2

        def off_centre(f):
            x, y, w, h = f['box']
            return (x + w / 2 - cx) ** 2 + (y + h / 2 - cy) ** 2
        points = np.array(min(faces, key=off_centre)['landmarks68'], np.float64)
        views.append(points)
        mirrored = points[MIRROR].copy()
        mirrored[:, 0] = -mirrored[:, 0]
        views.append(mirrored)
    return views


def factorise(views):
    rows = []
    for p in views:
        c = p - p.mean(axis=0)
        c /= np.sqrt((c ** 2).sum() / len(c))
        rows.append(c[:, 0])
        rows.append(c[:, 1])
    w = np.array(rows)  # 2F x 68
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    m_hat = u[:, :3] * np.sqrt(s[:3])
    s_hat = np.sqrt(s[:3])[:, None] * vt[:3]
    residual = np.linalg.norm(w - m_hat @ s_hat) / np.linalg.norm(w)

    def sym_row(a, b):  # a^T L b in the 6 unknowns of the symmetric L
        return np.array([a[0] * b[0], a[0] * b[1] + a[1] * b[0], a[0] * b[2] + a[2] * b[0],
                         a[1] * b[1], a[1] * b[2] + a[2] * b[1], a[2] * b[2]])
    eqs, rhs = [], []
    for f in range(len(views)):
        a, b = m_hat[2 * f], m_hat[2 * f + 1]
        eqs.append(sym_row(a, a) - sym_row(b, b))
        rhs.append(0.0)
        eqs.append(sym_row(a, b))
        rhs.append(0.0)
        eqs.append(sym_row(a, a) * 0.1)  # scale: |a|^2 = 1 on average (weak)
        rhs.append(0.1)
    l6 = np.linalg.lstsq(np.array(eqs), np.array(rhs), rcond=None)[0]
    l = np.array([[l6[0], l6[1], l6[2]], [l6[1], l6[3], l6[4]], [l6[2], l6[4], l6[5]]])
    values, vectors = np.linalg.eigh(l)
    if values.min() <= 0:
        raise SystemExit(f'metric upgrade failed: L not positive definite ({values})')
    q = vectors @ np.diag(np.sqrt(values))
    m = m_hat @ q
    shape = np.linalg.inv(q) @ s_hat  # 3 x 68
    # The mean view: average the views' rotations, projected back onto a rotation.
    total = np.zeros((3, 3))
    for f in range(len(views)):
        a, b = m[2 * f], m[2 * f + 1]
        a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        total += np.array([a, b, np.cross(a, b)])
    uu, _, vv = np.linalg.svd(total)
    mean_rotation = uu @ vv
    if np.linalg.det(mean_rotation) < 0:
        mean_rotation = uu @ np.diag([1, 1, -1]) @ vv
    shape = mean_rotation @ shape
    return shape.T, residual, values


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    views = load_views(sys.argv[1])
    shape, residual, values = factorise(views)
    # The reflection ambiguity: the nose tip (30) is nearer the camera (-z) than the jaw's ends.
    if shape[30, 2] > (shape[0, 2] + shape[16, 2]) / 2:
        shape[:, 2] = -shape[:, 2]
    mirrored = shape[MIRROR].copy()
    mirrored[:, 0] = -mirrored[:, 0]
    shape = (shape + mirrored) / 2
    shape -= shape.mean(axis=0)
    shape *= 90.0 / np.linalg.norm(shape[45] - shape[36])
    learned_depth = (shape[36, 2] + shape[45, 2]) / 2 - shape[30, 2]
    shape[:, 2] *= NOSE_DEPTH * 90.0 / learned_depth
    print(f'// Generated by tools/pose/learn_face_shape.py from {len(views) // 2} faces (and their '
          'mirror images)')
    print(f'// of LFW View 1 (pairsDevTrain.txt); rank-3 residual {residual:.3f}. '
          'x right, y down, z away from the camera;')
    print(f'// units: outer eye corners 90 apart; depth scaled to a nose {NOSE_DEPTH} x that in front '
          'of them.')
    print('// Do not edit: rerun the script.')
    for i, (x, y, z) in enumerate(shape):
        print(f'{{{x:.2f}f, {y:.2f}f, {z:.2f}f}},  // {i}')
    print(f'learned from {len(views) // 2} faces, residual {residual:.3f}, L eigenvalues {values}, '
          f'learned nose depth {learned_depth / 90:.2f} (set to {NOSE_DEPTH})', file=sys.stderr)


if __name__ == '__main__':
    main()
