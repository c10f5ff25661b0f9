#!/usr/bin/env bash
# Bring your own ONNX recognizer, end to end through the CLI, with a real model facet does not
# ship: faceplugin's 512-D MobileFaceNet (models/lock.tsv, "test only"; docs/models.md).
#   1. `facet models add` refuses bad manifests (hostile JSON, unknown keys, unsafe names,
#      a recognizer's keys under kind "detector", a wrong sha256, a built-in name, a wrong output
#      size), exit 1, nothing written;
#   2. registers the good one into a temporary model directory; `facet models` lists it;
#   3. `facet compare --model NAME` refuses before calibration, naming `facet models calibrate`;
#   4. (LFW in ../shared/data/lfw, else SKIP) `facet eval pairs` on a fixed 300-pair subset of
#      LFW's fold 1 reaches the accuracy the model is known for (a broken preprocessing does not:
#      the same file registered without its normalisation is checked to fall below it),
#      `facet models calibrate` on that subset writes thresholds, and `facet compare` then works.
# Usage: models_add_test.sh FACET_BINARY MODEL_DIR SHARED_DATA_DIR
set -u
facet=$1
models=$(cd "$2" && pwd)
lfw=$(cd "$3/lfw" 2>/dev/null && pwd || echo "$3/lfw")
onnx=$models/src/faceplugin-face-recognition-js@0.0.1/model/fr_feature.onnx
sha=87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
if [ ! -f "$onnx" ]; then
  echo "FAIL: $onnx missing: run scripts/models.sh (models/lock.tsv lists it)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset FACET_MODEL_DIR
# A model directory of its own: the built-in models linked, registrations written here only.
mkdir -p "$tmp/models" "$tmp/download"
for f in "$models"/*.onnx; do ln -s "$f" "$tmp/models/"; done
py=/usr/bin/python3
passed=0
failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}
# expect_refused NAME MESSAGE_PART MANIFEST_FILE: `models add` exits 1 with MESSAGE_PART on stderr.
expect_refused() {
  local name=$1 part=$2 file=$3 code=0
  "$facet" models add "$file" --models "$tmp/models" >"$tmp/out" 2>"$tmp/err" || code=$?
  if [ "$code" = 1 ] && grep -qF -- "$part" "$tmp/err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: exit $code, stderr: $(cat "$tmp/err")" >&2
  fi
}
# manifest NAME [PYTHON EDITS...]: writes $tmp/download/NAME.json, the good manifest edited.
manifest() {
  local name=$1; shift
  "$py" - "$tmp/download/$name.json" "$onnx" "$sha" "$@" <<'PY'
import json, sys
path, onnx, sha = sys.argv[1:4]
m = {"kind": "recognizer", "name": "faceplugin_mfn", "onnx": onnx, "sha256": sha,
     "input": {"size": 112, "layout": "NCHW", "channels": "RGB", "mean": [127, 127, 127],
               "scale": 0.0078125},
     "alignment": {"template": "arcface_5point"}, "output": {"dimensions": 512},
     "description": "faceplugin MobileFaceNet 512-D (test only)"}
for edit in sys.argv[4:]:
    exec(edit)
with open(path, "w") as f:
    json.dump(m, f)
PY
}

# 1. Refusals.
printf '{"kind": "recognizer", "name": ' >"$tmp/download/truncated.json"
expect_refused "truncated JSON" "not valid JSON" "$tmp/download/truncated.json"
head -c 100000 /dev/zero | tr '\0' '[' >"$tmp/download/nested.json"
expect_refused "deeply nested JSON" "manifest" "$tmp/download/nested.json"
manifest unknown_key 'm["treshold"] = 0.4'
expect_refused "unknown key" "unknown key 'treshold'" "$tmp/download/unknown_key.json"
manifest wrong_type 'm["input"]["size"] = "112"'
expect_refused "wrong type" "'input.size' must be an integer" "$tmp/download/wrong_type.json"
manifest slash 'm["name"] = "../escape"'
expect_refused "unsafe name" "not a safe model name" "$tmp/download/slash.json"
manifest detector 'm["kind"] = "detector"'
# Read as a detector's manifest (tests/models_add_detector_test.sh), which has no 'alignment'.
expect_refused "detector" "unknown key 'alignment'" "$tmp/download/detector.json"
manifest bad_sha 'm["sha256"] = "0" * 64'
expect_refused "wrong sha256" "sha256 is $sha" "$tmp/download/bad_sha.json"
manifest builtin 'm["name"] = "mobilefacenet"'
expect_refused "built-in name" "built-in" "$tmp/download/builtin.json"
manifest dims 'm["output"]["dimensions"] = 128'
expect_refused "wrong output size" "512 values per face" "$tmp/download/dims.json"
manifest nhwc 'm["input"]["layout"] = "NHWC"'
expect_refused "wrong layout" "[?,112,112,3]" "$tmp/download/nhwc.json"
manifest missing 'm["onnx"] = "nowhere.onnx"'
expect_refused "missing file" "no such file" "$tmp/download/missing.json"
check "nothing registered by a refused manifest" test ! -e "$tmp/models/registered/faceplugin_mfn.json"

# 2. Registration.
manifest good
check "models add" "$facet" models add "$tmp/download/good.json" --models "$tmp/models" --json \
  >"$tmp/add.json"
check "registration is self-contained" test -f "$tmp/models/registered/faceplugin_mfn.onnx"
check "registration: version is the sha256" grep -q "\"sha256:$sha\"" "$tmp/add.json"
check "registration: not calibrated" grep -q '"calibrated": false' "$tmp/add.json"
expect_refused "registered twice" "already registered" "$tmp/download/good.json"
check "models lists it" sh -c "'$facet' models --models '$tmp/models' | grep -q 'faceplugin_mfn (registered'"
code=0
"$facet" compare a.jpg b.jpg --model nosuchmodel --models "$tmp/models" 2>"$tmp/err" || code=$?
check "unknown model lists the registered ones" grep -q "registered in .*: faceplugin_mfn" "$tmp/err"

# 3. No thresholds yet: a decision is refused, never taken with a default.
samples=$models/src/@vladmandic/face-api@1.7.15/demo
code=0
"$facet" compare "$samples/sample1.jpg" "$samples/sample2.jpg" --model faceplugin_mfn \
  --models "$tmp/models" >"$tmp/out" 2>"$tmp/err" || code=$?
check "compare refused before calibration (exit $code)" test "$code" = 1
check "the refusal names the calibration command" grep -q "facet models calibrate faceplugin_mfn" "$tmp/err"

# 4. Accuracy and calibration on LFW.
if [ ! -f "$lfw/pairs.txt" ]; then
  echo "SKIP (LFW part): $lfw/pairs.txt not found"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
fi
# Fold 1's first 150 same-person and first 150 different-person pairs: a fixed subset.
mkdir -p "$tmp/lfw"
ln -s "$lfw/images" "$tmp/lfw/images"
awk 'NR == 1 {next} NR <= 151 || (NR >= 302 && NR <= 451)' "$lfw/pairs.txt" >"$tmp/lines"
{ printf '1\t150\n'; cat "$tmp/lines"; } >"$tmp/lfw/pairs.txt"  # one fold of 150 + 150
awk -F'\t' 'NF == 3 {printf "1 %s/%s_%04d.jpg %s/%s_%04d.jpg\n", $1, $1, $2, $1, $1, $3}
            NF == 4 {printf "0 %s/%s_%04d.jpg %s/%s_%04d.jpg\n", $1, $1, $2, $3, $3, $4}' \
  "$tmp/lines" >"$tmp/pairs.list"
check "300 pairs" test "$(wc -l <"$tmp/pairs.list")" = 300
accuracy() {  # accuracy MODEL: best accuracy of `eval pairs` on the subset
  "$facet" eval pairs --list "$tmp/pairs.list" --root "$lfw/images" --model "$1" \
    --models "$tmp/models" --json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["best_accuracy"])'
}
acc=$(accuracy faceplugin_mfn)
echo "faceplugin_mfn on the 300-pair subset: best accuracy $acc"
# Measured 0.9867 (4 errors in 300); the whole of LFW gives 99.28 % (docs/benchmarks.md).
check "accuracy $acc >= 0.97" "$py" -c "import sys; sys.exit(0 if float('$acc') >= 0.97 else 1)"
# The bound is not vacuous: the same file with its normalisation forgotten (raw pixels, measured
# 0.68) falls below it. (A channel swap alone does not: this model reads 0.98 either way.)
manifest broken 'm["name"] = "broken_mfn"' 'm["input"]["mean"] = [0, 0, 0]' 'm["input"]["scale"] = 1'
check "broken registers (it runs)" "$facet" models add "$tmp/download/broken.json" --models "$tmp/models"
broken=$(accuracy broken_mfn)
echo "broken preprocessing on the same subset: best accuracy $broken"
check "broken preprocessing $broken < 0.97" "$py" -c "import sys; sys.exit(0 if float('$broken') < 0.97 else 1)"

check "models calibrate" "$facet" models calibrate faceplugin_mfn --data "$tmp/lfw" \
  --models "$tmp/models" --json >"$tmp/calibration.json"
check "thresholds written" grep -q '"fmr_1e-4"' "$tmp/models/registered/faceplugin_mfn.json"
same_a=$lfw/images/$(awk '{print $2}' "$tmp/pairs.list" | head -1)
same_b=$lfw/images/$(awk '{print $3}' "$tmp/pairs.list" | head -1)
diff_b=$lfw/images/$(awk '$1 == 0 {print $3}' "$tmp/pairs.list" | head -1)
verdict() {  # verdict A B: compare's "same" field
  "$facet" compare "$1" "$2" --model faceplugin_mfn --models "$tmp/models" --json \
    | "$py" -c 'import json, sys; d = json.load(sys.stdin); print(d["same"], d["model"])'
}
check "compare after calibration: same person" test "$(verdict "$same_a" "$same_b")" = "True faceplugin_mfn"
check "compare after calibration: different people" test "$(verdict "$same_a" "$diff_b")" = "False faceplugin_mfn"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
