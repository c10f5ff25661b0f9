# Minimal TFLite flatbuffer reader (schema field ids from tensorflow/lite/schema/schema.fbs).
import flatbuffers, numpy as np, struct, sys
from flatbuffers.table import Table
from flatbuffers import number_types as N

def tab(buf, pos): return Table(buf, pos)
def field_off(t, fid): return t.Offset(4 + 2*fid)
def get_u32(t, fid, d=0):
    o = field_off(t, fid); return t.Get(N.Uint32Flags, o + t.Pos) if o else d
def get_i32(t, fid, d=0):
    o = field_off(t, fid); return t.Get(N.Int32Flags, o + t.Pos) if o else d
def get_i8(t, fid, d=0):
    o = field_off(t, fid); return t.Get(N.Int8Flags, o + t.Pos) if o else d
def get_u8(t, fid, d=0):
    o = field_off(t, fid); return t.Get(N.Uint8Flags, o + t.Pos) if o else d
def get_f32(t, fid, d=0.0):
    o = field_off(t, fid); return t.Get(N.Float32Flags, o + t.Pos) if o else d
def get_str(t, fid):
    o = field_off(t, fid); return t.String(o + t.Pos).decode() if o else ''
def get_table(t, fid):
    o = field_off(t, fid)
    if not o: return None
    return Table(t.Bytes, t.Indirect(o + t.Pos))
def get_vec_tables(t, fid):
    o = field_off(t, fid)
    if not o: return []
    n = t.VectorLen(o); start = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(start + 4*i)) for i in range(n)]
def get_vec_np(t, fid, dtype):
    o = field_off(t, fid)
    if not o: return np.zeros(0, dtype)
    n = t.VectorLen(o); start = t.Vector(o)
    return np.frombuffer(t.Bytes, dtype=dtype, count=n, offset=start)

def load(path):
    return load_bytes(open(path,'rb').read())

def load_bytes(data):
    buf = bytearray(data)
    root = Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))
    # Model: 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers
    opcodes = []
    for oc in get_vec_tables(root, 1):
        dep = get_i8(oc, 0); bc = get_i32(oc, 3, 0)
        opcodes.append(max(dep, bc))
    buffers = [get_vec_np(b, 0, np.uint8) for b in get_vec_tables(root, 4)]
    sg = get_vec_tables(root, 2)[0]
    # SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name
    tensors = []
    for t in get_vec_tables(sg, 0):
        # Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization
        tensors.append(dict(shape=list(get_vec_np(t,0,np.int32)), type=get_i8(t,1), buffer=get_u32(t,2), name=get_str(t,3)))
    ops = []
    for o in get_vec_tables(sg, 3):
        # Operator: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type, 4 builtin_options
        ops.append(dict(op=opcodes[get_u32(o,0)], inputs=list(get_vec_np(o,1,np.int32)), outputs=list(get_vec_np(o,2,np.int32)),
                        opt_type=get_u8(o,3), opts=get_table(o,4)))
    return dict(tensors=tensors, ops=ops, buffers=buffers, inputs=list(get_vec_np(sg,1,np.int32)), outputs=list(get_vec_np(sg,2,np.int32)))

if __name__ == '__main__':
    m = load(sys.argv[1])
    from collections import Counter
    print('inputs', [(m['tensors'][i]['name'], m['tensors'][i]['shape']) for i in m['inputs']])
    print('outputs', [(m['tensors'][i]['name'], m['tensors'][i]['shape']) for i in m['outputs']])
    print(Counter(o['op'] for o in m['ops']))
    for o in m['ops'][:12]:
        print(o['op'], [ (m['tensors'][i]['name'], m['tensors'][i]['shape']) for i in o['inputs']], '->', [m['tensors'][i]['shape'] for i in o['outputs']])
