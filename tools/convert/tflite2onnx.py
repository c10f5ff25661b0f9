"""TFLite -> ONNX (NCHW) for the MTCNN nets, MobileFaceNet and MediaPipe's face mesh, loadable by OpenCV 4.6's DNN."""
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import tflite_reader as tfl

ADD, AVG_POOL, CONCAT, CONV, DWCONV = 0, 1, 2, 3, 4
FC, LOGISTIC, MAXPOOL, MUL, RELU, RESHAPE, SOFTMAX = 9, 14, 17, 18, 19, 22, 25
SUB, DIV, EXP, NEG, SUM, REDUCE_MAX, ABS = 41, 42, 47, 59, 74, 82, 101
DEQUANTIZE, PAD, PRELU = 6, 34, 54
NAMES = {ADD:'ADD',CONV:'CONV_2D',DWCONV:'DEPTHWISE_CONV_2D',FC:'FULLY_CONNECTED',MAXPOOL:'MAX_POOL_2D',MUL:'MUL',RELU:'RELU',
         RESHAPE:'RESHAPE',SOFTMAX:'SOFTMAX',SUB:'SUB',DIV:'DIV',EXP:'EXP',NEG:'NEG',SUM:'SUM',REDUCE_MAX:'REDUCE_MAX',ABS:'ABS',
         DEQUANTIZE:'DEQUANTIZE',PAD:'PAD',PRELU:'PRELU'}

class Converter:
    def __init__(self, model, dynamic_hw=False):
        self.m = model; self.t = model['tensors']; self.nodes = []; self.inits = []; self.names = {}
        self.dynamic_hw = dynamic_hw
        self.consumers = {}
        for i, op in enumerate(model['ops']):
            for x in op['inputs']:
                if x >= 0: self.consumers.setdefault(x, []).append(i)
        self.producer = {o: i for i, op in enumerate(model['ops']) for o in op['outputs']}
        self.done = set()

    def const(self, idx):
        t = self.t[idx]; b = self.m['buffers'][t['buffer']]
        if len(b) == 0:
            # A float16 weight widened by DEQUANTIZE (MediaPipe's face mesh) is a constant too.
            p = self.producer.get(idx)
            if p is not None and self.m['ops'][p]['op'] == DEQUANTIZE:
                src = self.t[self.m['ops'][p]['inputs'][0]]
                raw = self.m['buffers'][src['buffer']].tobytes()
                assert src['type'] == 1, f"DEQUANTIZE of {src['name']}: only float16 is supported"
                return np.frombuffer(raw, np.float16).astype(np.float32).reshape(src['shape'])
            return None
        assert t['type'] == 0, f"tensor {t['name']} is not float32 (type {t['type']})"
        return np.frombuffer(b.tobytes(), np.float32).reshape(t['shape']) if len(t['shape']) else np.frombuffer(b.tobytes(), np.float32)

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr.astype(np.float32)), name)); return name

    def val(self, idx): return self.names[idx]

    def pads_same(self, in_hw, k, s, d=(1,1)):
        pads_b, pads_e = [], []
        for i in range(2):
            n = in_hw[i]; ke = (k[i]-1)*d[i]+1; out = -(-n // s[i]); tot = max((out-1)*s[i]+ke-n, 0)
            pads_b.append(tot//2); pads_e.append(tot - tot//2)
        return pads_b + pads_e

    def act(self, out, fused):
        if fused == 0: return out
        n = out + '_act'
        if fused == 1: self.nodes.append(helper.make_node('Relu', [out], [n]))
        elif fused == 3: self.nodes.append(helper.make_node('Clip', [out], [n], min=0.0, max=6.0))
        else: raise ValueError(f'fused activation {fused} unsupported')
        return n

    def only_consumer(self, tensor, opcode):
        c = self.consumers.get(tensor, [])
        return c[0] if len(c) == 1 and self.m['ops'][c[0]]['op'] == opcode else None

    def match_prelu(self, i):
        """Returns (x_tensor, slope, last_op_index, ops_used) if op i starts a PReLU pattern."""
        ops = self.m['ops']; op = ops[i]
        if op['op'] != RELU: return None
        x = op['inputs'][0]; r = op['outputs'][0]
        others = [c for c in self.consumers.get(x, []) if c != i]
        add_i = self.only_consumer(r, ADD)
        if add_i is None or not others: return None
        o = ops[others[0]]
        if len(others) == 2 and ops[others[0]]['op'] == SUB: o = ops[others[1]]; others = others[::-1]
        if len(others) != (2 if o['op'] == ABS else 1): return None
        if o['op'] == NEG:  # relu(x) + alpha * neg(relu(neg(x)))
            r2 = self.only_consumer(o['outputs'][0], RELU)
            if r2 is None: return None
            n2 = self.only_consumer(ops[r2]['outputs'][0], NEG)
            if n2 is None: return None
            mu = self.only_consumer(ops[n2]['outputs'][0], MUL)
            if mu is None: return None
            a = [self.const(t) for t in ops[mu]['inputs'] if self.const(t) is not None]
            if len(a) != 1 or self.only_consumer(ops[mu]['outputs'][0], ADD) != add_i: return None
            return x, a[0].reshape(-1), add_i, {i, others[0], r2, n2, mu, add_i}
        if o['op'] == ABS:  # relu(x) + c * (x - abs(x))
            su = self.only_consumer(o['outputs'][0], SUB)
            if su is None or ops[su]['inputs'][0] != x or su != others[1]: return None
            mu = self.only_consumer(ops[su]['outputs'][0], MUL)
            if mu is None: return None
            a = [self.const(t) for t in ops[mu]['inputs'] if self.const(t) is not None]
            if len(a) != 1 or self.only_consumer(ops[mu]['outputs'][0], ADD) != add_i: return None
            return x, 2.0 * a[0].reshape(-1), add_i, {i, others[0], su, mu, add_i}
        return None

    def softmax(self, x, oname):
        shape = self.t[x]['shape']
        if len(shape) == 2:
            self.nodes.append(helper.make_node('Softmax', [self.val(x)], [oname], axis=1))
        elif len(shape) == 4 and shape[3] == 2:
            # Channel softmax of a 2-class map, portable across runtimes (ONNX Softmax before
            # opset 13 flattens trailing axes): p0 = sigmoid(x0 - x1), p1 = sigmoid(x1 - x0).
            w = np.array([[1, -1], [-1, 1]], np.float32).reshape(2, 2, 1, 1)
            self.nodes.append(helper.make_node('Conv', [self.val(x), self.init(oname + '_diff', w)], [oname + '_logit'], kernel_shape=[1, 1]))
            self.nodes.append(helper.make_node('Sigmoid', [oname + '_logit'], [oname]))
        else:
            raise ValueError(f'softmax over shape {shape} unsupported')

    def match_softmax(self, i):
        ops = self.m['ops']; op = ops[i]
        if op['op'] != REDUCE_MAX: return None
        x = op['inputs'][0]
        su = self.only_consumer(op['outputs'][0], SUB)
        if su is None or ops[su]['inputs'][0] != x: return None
        ex = self.only_consumer(ops[su]['outputs'][0], EXP)
        if ex is None: return None
        cons = self.consumers.get(ops[ex]['outputs'][0], [])
        sm = [c for c in cons if ops[c]['op'] == SUM]; dv = [c for c in cons if ops[c]['op'] == DIV]
        if len(sm) != 1 or len(dv) != 1 or len(cons) != 2: return None
        return x, dv[0], {i, su, ex, sm[0], dv[0]}

    def convert(self, input_name='input', output_names=None):
        m = self.m; t = self.t
        (inp,) = m['inputs']; shp = t[inp]['shape']  # NHWC
        h = 'H' if self.dynamic_hw else shp[1]; w = 'W' if self.dynamic_hw else shp[2]
        graph_in = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ['N', int(shp[3]), h if isinstance(h, str) else int(h), w if isinstance(w, str) else int(w)])
        self.names[inp] = input_name
        fused_prelu = {}; fused_softmax = {}; skip = set()
        for i in range(len(m['ops'])):
            p = self.match_prelu(i)
            if p:
                fused_prelu[p[2]] = p; skip |= p[3] - {p[2]}
            s = self.match_softmax(i)
            if s:
                fused_softmax[s[1]] = s; skip |= s[2] - {s[1]}
        for i, op in enumerate(m['ops']):
            if i in skip: continue
            out = op['outputs'][0]; oname = f"t{out}"; ins = op['inputs']; opts = op['opts']; code = op['op']
            if i in fused_prelu:
                x, slope, _, _ = fused_prelu[i]
                self.nodes.append(helper.make_node('PRelu', [self.val(x), self.init(oname + '_slope', slope.reshape(-1, 1, 1) if len(t[x]['shape']) == 4 else slope)], [oname]))
            elif i in fused_softmax:
                x = fused_softmax[i][0]
                self.softmax(x, oname)
            elif code in (CONV, DWCONV):
                wt = self.const(ins[1]); b = self.const(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
                padding = tfl.get_i8(opts, 0); sw = tfl.get_i32(opts, 1, 1); sh = tfl.get_i32(opts, 2, 1)
                if code == CONV:
                    fused = tfl.get_i8(opts, 3); dw, dh = tfl.get_i32(opts, 4, 1), tfl.get_i32(opts, 5, 1)
                    W = wt.transpose(0, 3, 1, 2); group = 1
                else:
                    fused = tfl.get_i8(opts, 4); dw, dh = tfl.get_i32(opts, 5, 1), tfl.get_i32(opts, 6, 1)
                    W = wt.transpose(3, 0, 1, 2); group = t[ins[0]]['shape'][3]
                k = W.shape[2:]
                pads = [0, 0, 0, 0] if padding == 1 else self.pads_same(t[ins[0]]['shape'][1:3], k, (sh, sw), (dh, dw))
                if padding == 0 and self.dynamic_hw and any(pads): raise ValueError('SAME padding with dynamic H/W')
                inputs = [self.val(ins[0]), self.init(oname + '_w', W)] + ([self.init(oname + '_b', b)] if b is not None else [])
                self.nodes.append(helper.make_node('Conv', inputs, [oname + ('_pre' if fused else '')], kernel_shape=list(k), strides=[sh, sw], pads=pads, dilations=[dh, dw], group=group))
                if fused: oname = self.act(oname + '_pre', fused)
            elif code == MAXPOOL or code == AVG_POOL:
                padding = tfl.get_i8(opts, 0); sw, sh = tfl.get_i32(opts, 1), tfl.get_i32(opts, 2); fw, fh = tfl.get_i32(opts, 3), tfl.get_i32(opts, 4)
                extra = {}
                if padding == 0 and self.dynamic_hw:
                    # SAME max pooling with kernel == stride pads only at the end: ceil_mode.
                    assert code == MAXPOOL and fh == sh and fw == sw, 'dynamic SAME pooling needs kernel == stride'
                    pads = [0, 0, 0, 0]; extra['ceil_mode'] = 1
                else:
                    pads = [0, 0, 0, 0] if padding == 1 else self.pads_same(t[ins[0]]['shape'][1:3], (fh, fw), (sh, sw))
                assert code == MAXPOOL or not any(pads), 'AVG pool with SAME padding unsupported'
                self.nodes.append(helper.make_node('MaxPool' if code == MAXPOOL else 'AveragePool', [self.val(ins[0])], [oname], kernel_shape=[fh, fw], strides=[sh, sw], pads=pads, **extra))
                assert tfl.get_i8(opts, 5) == 0
            elif code == FC:
                wt = self.const(ins[1]); b = self.const(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
                src = ins[0]; src_shape = t[src]['shape']; x = self.val(src)
                if len(src_shape) == 4:
                    # tflite flattens NHWC: reorder the weight columns to NCHW order.
                    _, H, Wd, C = [int(v) for v in src_shape]
                    wt = wt.reshape(wt.shape[0], H, Wd, C).transpose(0, 3, 1, 2).reshape(wt.shape[0], -1)
                    self.nodes.append(helper.make_node('Flatten', [x], [oname + '_flat'], axis=1)); x = oname + '_flat'
                if b is None: b = np.zeros(wt.shape[0], np.float32)
                fused = tfl.get_i8(opts, 0)
                self.nodes.append(helper.make_node('Gemm', [x, self.init(oname + '_w', wt), self.init(oname + '_b', b)], [oname + ('_pre' if fused else '')], transB=1))
                if fused: oname = self.act(oname + '_pre', fused)
            elif code in (ADD, MUL, SUB):
                consts = [self.const(x) for x in ins]
                fused = tfl.get_i8(opts, 0)
                if all(c is None for c in consts):
                    self.nodes.append(helper.make_node({ADD:'Add', MUL:'Mul', SUB:'Sub'}[code], [self.val(ins[0]), self.val(ins[1])], [oname + ('_pre' if fused else '')]))
                else:
                    ci = 0 if consts[0] is not None else 1; c = consts[ci].reshape(-1); x = ins[1 - ci]
                    if len(t[x]['shape']) == 4: c = c.reshape(-1, 1, 1) if c.size > 1 else c
                    assert not (code == SUB and ci == 0)
                    self.nodes.append(helper.make_node({ADD:'Add', MUL:'Mul', SUB:'Sub'}[code], [self.val(x), self.init(oname + '_c', c)], [oname + ('_pre' if fused else '')]))
                if fused: oname = self.act(oname + '_pre', fused)
            elif code == DEQUANTIZE:
                continue  # float16 weights: const() widens them where they are used
            elif code == PRELU:
                slope = self.const(ins[1])
                assert slope is not None, 'PRELU with a non-constant slope'
                slope = slope.reshape(-1)
                self.nodes.append(helper.make_node('PRelu', [self.val(ins[0]), self.init(oname + '_slope', slope.reshape(-1, 1, 1) if len(t[ins[0]]['shape']) == 4 else slope)], [oname]))
            elif code == PAD:
                # Only zero channel padding at the end (MediaPipe's residual shortcuts): a fixed 1x1
                # identity/zero convolution, as OpenCV 4.6 has no channel Pad.
                pads = np.frombuffer(self.m['buffers'][t[ins[1]]['buffer']].tobytes(), np.int32).reshape(4, 2)
                assert not pads[:3].any() and pads[3, 0] == 0, f'PAD {pads.tolist()} unsupported (channels at the end only)'
                c_in = t[ins[0]]['shape'][3]; c_out = c_in + int(pads[3, 1])
                W = np.zeros((c_out, c_in, 1, 1), np.float32); W[np.arange(c_in), np.arange(c_in)] = 1
                self.nodes.append(helper.make_node('Conv', [self.val(ins[0]), self.init(oname + '_w', W)], [oname], kernel_shape=[1, 1]))
            elif code == RELU:
                self.nodes.append(helper.make_node('Relu', [self.val(ins[0])], [oname]))
            elif code == RESHAPE:
                new = t[out]['shape']; src_shape = t[ins[0]]['shape']
                if len(new) == 2 and len(src_shape) == 4 and src_shape[1] == 1 and src_shape[2] == 1:
                    self.nodes.append(helper.make_node('Flatten', [self.val(ins[0])], [oname], axis=1))
                else: raise ValueError(f'RESHAPE {src_shape} -> {new} unsupported')
            elif code == SOFTMAX:
                self.softmax(ins[0], oname)
            else:
                raise ValueError(f'unsupported tflite op {NAMES.get(code, code)} ({t[out]["name"]})')
            self.names[out] = oname
        outputs = []
        for o in m['outputs']:
            nm = t[o]['name'].split('/')[-1]
            nm = (output_names or {}).get(nm, nm)
            self.nodes.append(helper.make_node('Identity', [self.val(o)], [nm]))
            shape = [int(v) for v in t[o]['shape']]
            if len(shape) == 4:  # NHWC -> NCHW
                shape = ['N', shape[3], 'OH', 'OW'] if self.dynamic_hw else ['N', shape[3], shape[1], shape[2]]
            else:
                shape = ['N'] + shape[1:]
            outputs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, shape))
        g = helper.make_graph(self.nodes, 'g', [graph_in], outputs, self.inits)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid('', 10)], producer_name='facet-tflite2onnx')
        model.ir_version = 6
        onnx.checker.check_model(model)
        return model, len(fused_prelu), len(fused_softmax)

def convert_file(tflite_path, onnx_path, dynamic_hw=False, output_names=None):
    """Converts one .tflite file (a path, or its bytes); returns (fused PReLUs, fused softmaxes)."""
    loaded = tfl.load_bytes(tflite_path) if isinstance(tflite_path, bytes) else tfl.load(tflite_path)
    model, prelus, softmaxes = Converter(loaded, dynamic_hw).convert(
        output_names=output_names)
    onnx.save(model, onnx_path)
    return prelus, softmaxes


if __name__ == '__main__':
    if len(sys.argv) < 3:
        sys.exit('usage: tflite2onnx.py IN.tflite OUT.onnx [--dynamic-hw]')
    print(convert_file(sys.argv[1], sys.argv[2], '--dynamic-hw' in sys.argv[3:]))
