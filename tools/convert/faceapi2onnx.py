#!/usr/bin/env python3
"""Converts face-api's dlib ResNet face recognizer (tfjs, uint8-quantised weights) to ONNX.

The architecture is face-api's src/faceRecognitionNet (FaceRecognitionNet.ts, convLayer.ts,
residualLayer.ts, scaleLayer.ts), reproduced layer by layer:
  convDown(7x7/2 valid) -> maxPool 3/2 valid -> 3 residual(32) -> residualDown(64) + 3 residual
  -> residualDown(128) + 2 residual -> residualDown(256) + 2 residual -> residualDown(256)
  -> mean over H, W -> matMul fc [256, 128].
Each conv is conv + bias, then a per-channel "scale" (x * w + b), folded here into the conv.
residualDown adds avgPool(x, 2, 2) to the conv path; when the channel counts differ the pooled
path is zero-padded in channels (a fixed 1x1 identity/zero convolution here), and when the conv
path is one pixel smaller it is zero-padded at the end of H and W (a Pad node).
Preprocessing stays in C++: RGB 150x150, (x - [122.782, 117.001, 104.298]) / 255.
Input `input` [N,3,150,150] NCHW; output `embedding` [N,128] (not normalised).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FACE_API = '@vladmandic/face-api@1.7.15/model'


def load_weights(model_dir, manifest_name='face_recognition_model-weights_manifest.json'):
    with open(os.path.join(model_dir, manifest_name)) as f:
        manifest = json.load(f)
    weights = {}
    for group in manifest:
        data = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in group['paths'])
        offset = 0
        for spec in group['weights']:
            count = int(np.prod(spec['shape']))
            q = spec.get('quantization')
            if q:
                assert q['dtype'] == 'uint8', q
                raw = np.frombuffer(data, np.uint8, count, offset).astype(np.float64)
                values = raw * q['scale'] + q['min']
                offset += count
            else:
                values = np.frombuffer(data, np.float32, count, offset).astype(np.float64)
                offset += 4 * count
            weights[spec['name']] = values.reshape(spec['shape']).astype(np.float32)
        if offset != len(data):
            raise ValueError(f'weights file size mismatch: used {offset} of {len(data)} bytes')
    return weights


class Builder:
    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f'{stem}_{self.count}'

    def const(self, stem, array):
        n = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array.astype(np.float32)), n))
        return n

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv_layer(self, x, prefix, stride, relu, padding):
        filters = self.w[prefix + '/conv/filters']  # HWIO
        bias = self.w[prefix + '/conv/bias']
        scale_w = self.w[prefix + '/scale/weights']
        scale_b = self.w[prefix + '/scale/biases']
        kernel = filters.transpose(3, 2, 0, 1) * scale_w.reshape(-1, 1, 1, 1)
        folded_bias = bias * scale_w + scale_b
        k = filters.shape[0]
        pads = [k // 2] * 4 if padding == 'same' else [0, 0, 0, 0]
        out = self.node('Conv', [x, self.const('w', kernel), self.const('b', folded_bias)],
                        kernel_shape=[k, k], strides=[stride, stride], pads=pads)
        return self.node('Relu', [out]) if relu else out

    def residual(self, x, prefix):
        out = self.conv_layer(x, prefix + '/conv1', 1, True, 'same')
        out = self.conv_layer(out, prefix + '/conv2', 1, False, 'same')
        return self.node('Relu', [self.node('Add', [out, x])])

    def residual_down(self, x, prefix, in_channels, in_size):
        out = self.conv_layer(x, prefix + '/conv1', 2, True, 'valid')
        out = self.conv_layer(out, prefix + '/conv2', 1, False, 'same')
        out_channels = self.w[prefix + '/conv2/conv/filters'].shape[3]
        conv_size = (in_size - 3) // 2 + 1
        pooled_size = in_size // 2
        pooled = self.node('AveragePool', [x], kernel_shape=[2, 2], strides=[2, 2])
        if pooled_size != conv_size:  # zeros appended at the end of H and W
            assert pooled_size == conv_size + 1
            out = self.node('Pad', [out], mode='constant', value=0.0, pads=[0, 0, 0, 0, 0, 0, 1, 1])
        if out_channels != in_channels:  # zero channels appended to the pooled path
            eye = np.zeros((out_channels, in_channels, 1, 1), np.float32)
            eye[np.arange(in_channels), np.arange(in_channels), 0, 0] = 1
            pooled = self.node('Conv', [pooled, self.const('pad_channels', eye)], kernel_shape=[1, 1])
        return self.node('Relu', [self.node('Add', [pooled, out])]), out_channels, pooled_size


def build(weights):
    b = Builder(weights)
    x = b.conv_layer('input', 'conv32_down', 2, True, 'valid')  # 150 -> 72
    x = b.node('MaxPool', [x], kernel_shape=[3, 3], strides=[2, 2])  # 72 -> 35
    channels, size = 32, 35
    for block in ('conv32_1', 'conv32_2', 'conv32_3'):
        x = b.residual(x, block)
    for down, blocks in (('conv64_down', ('conv64_1', 'conv64_2', 'conv64_3')),
                         ('conv128_down', ('conv128_1', 'conv128_2')),
                         ('conv256_down', ('conv256_1', 'conv256_2')),
                         ('conv256_down_out', ())):
        x, channels, size = b.residual_down(x, down, channels, size)
        for block in blocks:
            x = b.residual(x, block)
    x = b.node('GlobalAveragePool', [x])
    x = b.node('Flatten', [x], axis=1)
    fc = weights['fc']  # [256, 128]
    zero_bias = np.zeros(fc.shape[1], np.float32)
    b.nodes.append(helper.make_node('Gemm', [x, b.const('fc', fc.T), b.const('fc_bias', zero_bias)],
                                    ['embedding'], transB=1))
    graph = helper.make_graph(
        b.nodes, 'dlib_resnet',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 3, 150, 150])],
        [helper.make_tensor_value_info('embedding', TensorProto.FLOAT, ['N', 128])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 10)],
                              producer_name='facet-faceapi2onnx')
    model.ir_version = 6
    onnx.checker.check_model(model)
    return model


def separable_conv(b, x, prefix, stride):
    """tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias, as two ONNX Convs.

    TensorFlow's 'same' padding with stride 2 on an even size pads only at the end (bottom/right).
    """
    depthwise = b.w[prefix + '/depthwise_filter']  # [3, 3, C, 1]
    pointwise = b.w[prefix + '/pointwise_filter']  # [1, 1, C, O]
    channels = depthwise.shape[2]
    pads = [0, 0, 1, 1] if stride == 2 else [1, 1, 1, 1]
    out = b.node('Conv', [x, b.const('dw', depthwise.transpose(2, 3, 0, 1))], kernel_shape=[3, 3],
                 strides=[stride, stride], pads=pads, group=channels)
    return b.node('Conv', [out, b.const('pw', pointwise.transpose(3, 2, 0, 1)),
                           b.const('b', b.w[prefix + '/bias'])], kernel_shape=[1, 1])


def dense_block4(b, x, prefix, first):
    """face-api's denseBlock4 (faceFeatureExtractor/denseBlock.ts), scaling down by 2."""
    if first:
        filters = b.w[prefix + '/conv0/filters']  # HWIO
        out1 = b.node('Conv', [x, b.const('w', filters.transpose(3, 2, 0, 1)),
                               b.const('b', b.w[prefix + '/conv0/bias'])],
                      kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])
    else:
        out1 = separable_conv(b, x, prefix + '/conv0', 2)
    out1 = b.node('Relu', [out1])
    out2 = separable_conv(b, out1, prefix + '/conv1', 1)
    sum12 = b.node('Add', [out1, out2])
    out3 = separable_conv(b, b.node('Relu', [sum12]), prefix + '/conv2', 1)
    sum123 = b.node('Add', [sum12, out3])
    out4 = separable_conv(b, b.node('Relu', [sum123]), prefix + '/conv3', 1)
    return b.node('Relu', [b.node('Add', [sum123, out4])])


def build_landmarks68(weights):
    """face-api's FaceLandmark68Net: 4 dense blocks (112 -> 7), 7x7 average, fc to 136.

    Input `input` [N,3,112,112] NCHW RGB, (x - [122.782, 117.001, 104.298]) / 255 (in C++);
    output `landmarks` [N,136]: x0, y0, x1, y1... as fractions of the 112 px input.
    """
    b = Builder(weights)
    x = 'input'
    for i, block in enumerate(('dense0', 'dense1', 'dense2', 'dense3')):
        x = dense_block4(b, x, block, first=(i == 0))
    x = b.node('GlobalAveragePool', [x])  # avgPool 7x7 stride 2 'valid' on 7x7
    x = b.node('Flatten', [x], axis=1)
    fc = weights['fc/weights']  # [256, 136]
    b.nodes.append(helper.make_node('Gemm', [x, b.const('fc', fc.T), b.const('fc_bias', weights['fc/bias'])],
                                    ['landmarks'], transB=1))
    graph = helper.make_graph(
        b.nodes, 'faceapi_landmarks68',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 3, 112, 112])],
        [helper.make_tensor_value_info('landmarks', TensorProto.FLOAT, ['N', 136])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 10)],
                              producer_name='facet-faceapi2onnx')
    model.ir_version = 6
    onnx.checker.check_model(model)
    return model


def convert_landmarks68(src_dir, out_path):
    model_dir = os.path.join(src_dir, FACE_API)
    if not os.path.isdir(model_dir):
        raise ValueError(f'missing {model_dir} (run scripts/models.sh)')
    weights = load_weights(model_dir, 'face_landmark_68_model-weights_manifest.json')
    onnx.save(build_landmarks68(weights), out_path)


def convert(src_dir, out_path):
    model_dir = os.path.join(src_dir, FACE_API)
    if not os.path.isdir(model_dir):
        raise ValueError(f'missing {model_dir} (run scripts/models.sh)')
    onnx.save(build(load_weights(model_dir)), out_path)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: faceapi2onnx.py SRC_DIR OUT.onnx')
    convert(sys.argv[1], sys.argv[2])
