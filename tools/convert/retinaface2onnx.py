#!/usr/bin/env python3
"""Rewrites RetinaFace-MobileNet0.25 (npm retinaface@0.0.6, mnet.25_v2.onnx) for facet's backends.

The original is an MXNet export for a fixed 640x640 input. What changes (the weights do not):
  - the input `data` [1,3,H,W] gets symbolic H and W (the net is fully convolutional; any size
    divisible by 32 works);
  - the normalisation nodes (x - 127.5) * 0.0078125 are removed: facet applies them while
    converting the image to float (exact, also at the zero-padded borders of the first conv);
  - every BatchNormalization is folded into the convolution before it;
  - each FPN upsampling (Resize nearest x2, then Slice to the lateral's Shape) becomes a
    depthwise ConvTranspose 2x2 / stride 2 with weights 1 (the same nearest x2 upsampling; the
    crop is the identity for inputs divisible by 32);
  - the class branch's Reshape/Transpose/Softmax/Transpose/Reshape chain is dropped: the outputs
    are the raw class logits `cls_stride{32,16,8}` [1,4,H/s,W/s] (channels: background of anchor
    0 and 1, then face of anchor 0 and 1); facet computes the two-class softmax itself.
  - the input and outputs are NHWC (a Transpose after the input, one before each output), so that
    facet's XNNPACK backend (NHWC inside) copies nothing in or out; OpenCV DNN runs it as well.
Input `image` [1,H,W,3] RGB 0..255 normalised as above. Outputs (NHWC) cls_strideS [1,h,w,4],
bbox_strideS [1,h,w,8] (dx, dy, dw, dh of anchor 0, then anchor 1), landmark_strideS [1,h,w,20]
(5 x (dx, dy) of anchor 0, then anchor 1) for S = 32, 16, 8.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STRIDES = (32, 16, 8)


def convert(src, dst):
    model = onnx.load(src)
    graph = model.graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes = list(graph.node)
    producer = {o: n for n in nodes for o in n.output}
    consumers = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    rename = {}  # value name -> replacement value name

    def src_name(name):
        while name in rename:
            name = rename[name]
        return name

    new_nodes = []
    new_init = {}
    used_inits = set()

    # Normalisation: data -> Sub(127.5) -> Mul(1/128) -> conv_1.
    sub = nodes[0]
    mul = nodes[1]
    assert sub.op_type == 'Sub' and sub.input[0] == 'data', sub
    assert float(init[sub.input[1]].reshape(-1)[0]) == 127.5
    assert mul.op_type == 'Mul' and mul.input[0] == sub.output[0], mul
    assert float(init[mul.input[1]].reshape(-1)[0]) == 0.0078125
    rename[mul.output[0]] = 'data_nchw'
    skip = {id(sub), id(mul)}

    # The class-probability chains: from Reshape(cls_score) to the graph output.
    outputs = []
    for stride in STRIDES:
        score = f'face_rpn_cls_score_stride{stride}'
        chain = [f'face_rpn_cls_score_reshape_stride{stride}', f'face_rpn_cls_prob_stride{stride}_tr1',
                 f'face_rpn_cls_prob_stride{stride}', f'face_rpn_cls_prob_stride{stride}_tr2',
                 f'face_rpn_cls_prob_reshape_stride{stride}']
        by_name = {n.name: n for n in nodes}
        for name in chain:
            assert name in by_name, name
            skip.add(id(by_name[name]))
        assert by_name[chain[0]].input[0] == score
        outputs.append((score, f'cls_stride{stride}', 4))
        outputs.append((f'face_rpn_bbox_pred_stride{stride}', f'bbox_stride{stride}', 8))
        outputs.append((f'face_rpn_landmark_pred_stride{stride}', f'landmark_stride{stride}', 20))

    folded = 0
    upsamplings = 0
    for n in nodes:
        if id(n) in skip:
            continue
        if n.op_type == 'BatchNormalization':
            conv = producer[n.input[0]]
            assert conv.op_type == 'Conv' and len(consumers[conv.output[0]]) == 1, n.name
            continue  # folded when its Conv is emitted
        if n.op_type == 'Conv':
            weight = init[n.input[1]].astype(np.float64)
            bias = (init[n.input[2]].astype(np.float64) if len(n.input) > 2
                    else np.zeros(weight.shape[0]))
            out = n.output[0]
            after = consumers.get(out, [])
            if len(after) == 1 and after[0].op_type == 'BatchNormalization':
                bn = after[0]
                gamma, beta, mean, var = (init[i].astype(np.float64) for i in bn.input[1:5])
                eps = next(a.f for a in bn.attribute if a.name == 'epsilon')
                factor = gamma / np.sqrt(var + eps)
                weight = weight * factor.reshape(-1, 1, 1, 1)
                bias = (bias - mean) * factor + beta
                rename[bn.output[0]] = out
                folded += 1
            w_name, b_name = n.input[1], n.input[1] + '_bias'
            new_init[w_name] = weight.astype(np.float32)
            new_init[b_name] = bias.astype(np.float32)
            conv = helper.make_node('Conv', [src_name(n.input[0]), w_name, b_name], [out],
                                    name=n.name)
            conv.attribute.extend(n.attribute)
            new_nodes.append(conv)
            continue
        if n.op_type == 'Resize':
            scales = init[n.input[2]]
            assert list(scales) == [1, 1, 2, 2], scales
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            assert attrs['mode'] == b'nearest', attrs
            crop = [c for c in consumers[n.output[0]] if c.op_type == 'Slice']
            assert len(crop) == 1 and len(consumers[n.output[0]]) == 1, n.name
            shape_node = producer[crop[0].input[2]]
            assert shape_node.op_type == 'Shape'
            skip.add(id(crop[0]))
            skip.add(id(shape_node))
            channels = channels_of(n.input[0], producer, init)
            w_name = n.name + '_nearest_x2'
            new_init[w_name] = np.ones((channels, 1, 2, 2), np.float32)
            new_nodes.append(helper.make_node(
                'ConvTranspose', [src_name(n.input[0]), w_name], [crop[0].output[0]], name=n.name,
                group=channels, kernel_shape=[2, 2], strides=[2, 2]))
            upsamplings += 1
            continue
        if n.op_type in ('Shape', 'Slice'):
            assert id(n) in skip, n.name  # handled with their Resize (Resize comes first)
            continue
        if n.op_type in ('Relu', 'Add', 'Concat'):
            copy = helper.make_node(n.op_type, [src_name(i) for i in n.input], list(n.output),
                                    name=n.name)
            copy.attribute.extend(n.attribute)
            new_nodes.append(copy)
            continue
        raise ValueError(f'unexpected operator {n.op_type} {n.name}')

    for n in new_nodes:
        for i in n.input:
            used_inits.add(i)
    initializers = [numpy_helper.from_array(v, k) for k, v in new_init.items() if k in used_inits]
    graph_outputs = []
    for value, name, channels in outputs:
        new_nodes.append(helper.make_node('Transpose', [src_name(value)], [name], name=name,
                                          perm=[0, 2, 3, 1]))
        graph_outputs.append(helper.make_tensor_value_info(
            name, TensorProto.FLOAT, [1, None, None, channels]))
    new_nodes.insert(0, helper.make_node('Transpose', ['image'], ['data_nchw'], name='to_nchw',
                                         perm=[0, 3, 1, 2]))
    data = helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 'height', 'width', 3])
    out_graph = helper.make_graph(new_nodes, 'retinaface_mnet025', [data], graph_outputs,
                                  initializers)
    out = helper.make_model(out_graph, opset_imports=[helper.make_opsetid('', 12)],
                            producer_name='facet tools/convert/retinaface2onnx.py')
    out.ir_version = 7
    onnx.checker.check_model(out)
    onnx.save(out, dst)
    return folded, upsamplings


def channels_of(name, producer, init):
    """Channel count of a value: follows Relu back to its Conv."""
    node = producer[name]
    while node.op_type != 'Conv':
        node = producer[node.input[0]]
    return int(init[node.input[1]].shape[0])


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: retinaface2onnx.py mnet.25_v2.onnx out.onnx')
    print(convert(sys.argv[1], sys.argv[2]))
