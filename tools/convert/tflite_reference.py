"""An independent NumPy interpreter of the TFLite graph, in NHWC, op by op as TFLite defines them."""
import numpy as np
import tflite_reader as tfl
from tflite2onnx import (ABS, ADD, CONV, DEQUANTIZE, DIV, DWCONV, EXP, FC, MAXPOOL, MUL, NEG, PAD,
                         PRELU, RELU, RESHAPE, SUB, SUM, REDUCE_MAX)

def _pad_same(n, k, s, d=1):
    ke = (k-1)*d+1; out = -(-n // s); tot = max((out-1)*s+ke-n, 0); return tot//2, tot-tot//2

def conv_nhwc(x, w, b, stride, padding, depthwise=False, dil=(1,1)):
    # x [N,H,W,C]; conv w [O,kh,kw,I]; depthwise w [1,kh,kw,C*m]
    N, H, W, C = x.shape; kh, kw = w.shape[1], w.shape[2]; sh, sw = stride
    if padding == 0:
        pt, pb = _pad_same(H, kh, sh, dil[0]); pl, pr = _pad_same(W, kw, sw, dil[1])
        x = np.pad(x, ((0,0),(pt,pb),(pl,pr),(0,0)))
    H2 = (x.shape[1] - ((kh-1)*dil[0]+1)) // sh + 1; W2 = (x.shape[2] - ((kw-1)*dil[1]+1)) // sw + 1
    cols = np.empty((N, H2, W2, kh, kw, x.shape[3]), np.float64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, i, j, :] = x[:, i*dil[0]: i*dil[0] + (H2-1)*sh + 1: sh, j*dil[1]: j*dil[1] + (W2-1)*sw + 1: sw, :]
    if depthwise:
        out = np.einsum('nhwijc,ijc->nhwc', cols, w[0].astype(np.float64))
    else:
        out = np.einsum('nhwijc,oijc->nhwo', cols, w.astype(np.float64))
    return out + (b if b is not None else 0)

def act(x, f):
    if f == 0: return x
    if f == 1: return np.maximum(x, 0)
    if f == 3: return np.clip(x, 0, 6)
    raise ValueError(f)

def run(model, x):
    t = model['tensors']; vals = {model['inputs'][0]: x.astype(np.float64)}
    def get(i):
        if i in vals: return vals[i]
        b = model['buffers'][t[i]['buffer']]
        if t[i]['type'] == 1: return np.frombuffer(b.tobytes(), np.float16).reshape(t[i]['shape']).astype(np.float64)
        return np.frombuffer(b.tobytes(), np.float32).reshape(t[i]['shape']).astype(np.float64)
    for op in model['ops']:
        c = op['op']; ins = op['inputs']; o = op['opts']
        if c == CONV:
            y = act(conv_nhwc(get(ins[0]), get(ins[1]), get(ins[2]), (tfl.get_i32(o,2,1), tfl.get_i32(o,1,1)), tfl.get_i8(o,0), dil=(tfl.get_i32(o,5,1), tfl.get_i32(o,4,1))), tfl.get_i8(o,3))
        elif c == DWCONV:
            y = act(conv_nhwc(get(ins[0]), get(ins[1]), get(ins[2]), (tfl.get_i32(o,2,1), tfl.get_i32(o,1,1)), tfl.get_i8(o,0), True, dil=(tfl.get_i32(o,6,1), tfl.get_i32(o,5,1))), tfl.get_i8(o,4))
        elif c == MAXPOOL:
            xx = get(ins[0]); sw, sh, fw, fh = tfl.get_i32(o,1), tfl.get_i32(o,2), tfl.get_i32(o,3), tfl.get_i32(o,4)
            if tfl.get_i8(o,0) == 0:
                pt, pb = _pad_same(xx.shape[1], fh, sh); pl, pr = _pad_same(xx.shape[2], fw, sw)
                xx = np.pad(xx, ((0,0),(pt,pb),(pl,pr),(0,0)), constant_values=-np.inf)
            H2 = (xx.shape[1]-fh)//sh+1; W2 = (xx.shape[2]-fw)//sw+1
            y = np.full((xx.shape[0], H2, W2, xx.shape[3]), -np.inf)
            for i in range(fh):
                for j in range(fw):
                    y = np.maximum(y, xx[:, i:i+(H2-1)*sh+1:sh, j:j+(W2-1)*sw+1:sw, :])
        elif c == FC:
            xx = get(ins[0]).reshape(get(ins[0]).shape[0], -1); y = act(xx @ get(ins[1]).T + get(ins[2]), tfl.get_i8(o,0))
        elif c in (ADD, MUL, SUB, DIV):
            a, b = get(ins[0]), get(ins[1])
            y = {ADD: np.add, MUL: np.multiply, SUB: np.subtract, DIV: np.divide}[c](a, b)
            if c != DIV: y = act(y, tfl.get_i8(o,0))
        elif c == RELU: y = np.maximum(get(ins[0]), 0)
        elif c == DEQUANTIZE: y = get(ins[0])
        elif c == PRELU: xx = get(ins[0]); y = np.where(xx >= 0, xx, xx * get(ins[1]))
        elif c == PAD:
            pads = np.frombuffer(model['buffers'][t[ins[1]]['buffer']].tobytes(), np.int32).reshape(-1, 2)
            y = np.pad(get(ins[0]), [tuple(int(v) for v in r) for r in pads])
        elif c == NEG: y = -get(ins[0])
        elif c == ABS: y = np.abs(get(ins[0]))
        elif c == EXP: y = np.exp(get(ins[0]))
        elif c in (SUM, REDUCE_MAX):
            ax = np.frombuffer(model['buffers'][t[ins[1]]['buffer']].tobytes(), np.int32)
            keep = bool(tfl.get_u8(o, 0))
            y = (np.sum if c == SUM else np.max)(get(ins[0]), axis=tuple(int(a) for a in ax), keepdims=keep)
        elif c == RESHAPE:
            y = get(ins[0]).reshape([get(ins[0]).shape[0]] + list(t[op['outputs'][0]]['shape'][1:]))
        else: raise ValueError(c)
        vals[op['outputs'][0]] = y
    return [vals[i] for i in model['outputs']]
