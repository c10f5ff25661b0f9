#!/usr/bin/env bash
# The demo galleries of ../shared/data/media, each enrolled in one command and searched with
# their probe photos: every enrolled person in a probe is found, nobody is taken for someone
# else, strangers (and false detections) are "unknown". Skips when the data is absent.
# Usage: gallery_data_test.sh FACET_BINARY MODEL_DIR SHARED_DATA_DIR
set -u
facet=$1
models=$2
media=$3/media
if [ ! -d "$media/gallery_bbt" ] || [ ! -d "$media/gallery_knn" ]; then
  echo "SKIP: $media/gallery_bbt or gallery_knn not found"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FACET_STORE=$tmp/store.db FACET_KEY_FILE=$tmp/master.key FACET_MODEL_DIR=$models
unset FACET_MASTER_KEY
py=/usr/bin/python3
passed=0
failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}

"$facet" init >/dev/null || exit 1
"$facet" gallery create bbt --purpose "demo: the cast of a TV show" >/dev/null || exit 1
"$facet" gallery create knn --purpose "demo" >/dev/null || exit 1
{
  echo "person,granted_by,scope,purpose,evidence"
  for p in amy bernadette howard leonard penny raj sheldon stuart; do
    echo "$p,evaluation data,identify,facet demo,../shared/data/README.md"
  done
} >"$tmp/bbt.csv"
{
  echo "person,granted_by,scope,purpose,evidence"
  for p in alex_lacamoire biden kit_harington obama rose_leslie; do
    echo "$p,evaluation data,identify,facet demo,../shared/data/README.md"
  done
} >"$tmp/knn.csv"
"$facet" enroll --gallery bbt --folder "$media/gallery_bbt" --consents "$tmp/bbt.csv" \
  >"$tmp/bbt_enroll.txt" 2>&1
# 40 crops; one (stuart5.png, a face turned ~50 degrees) reads quality "low" from RetinaFace's
# landmarks and is refused for enrollment, as enrollment refuses low quality. Every other crop is
# enrolled, and a refusal says why.
bbt_enrolled=$(grep -c '^enrolled' "$tmp/bbt_enroll.txt" || true)
bbt_low=$(grep -c 'face quality is low' "$tmp/bbt_enroll.txt" || true)
check "bbt: 8 people x 5 crops enrolled in one command (a turned face refused as low quality)" \
  [ "$bbt_enrolled" -ge 39 -a "$((bbt_enrolled + bbt_low))" = 40 ]
"$facet" enroll --gallery knn --folder "$media/gallery_knn/train" --consents "$tmp/knn.csv" \
  >"$tmp/knn_enroll.txt" 2>&1
check "knn: 9 images of 5 people enrolled in one command" [ "$(grep -c '^enrolled' "$tmp/knn_enroll.txt")" = 9 ]

"$facet" identify --gallery bbt --purpose "demo test" --json "$media"/gallery_bbt/*.jpg \
  >"$tmp/bbt.json" 2>"$tmp/bbt.err"
"$facet" identify --gallery knn --purpose "demo test" --json "$media"/gallery_knn/test/*.jpg \
  >"$tmp/knn.json" 2>"$tmp/knn.err"

# Expected decisions, faces left to right (checked by eye on the annotated photos). In bbt1 the
# cast wear false beards; Leonard's (second) is not recognised at FMR 1e-4 and may be unknown.
$py - "$tmp/bbt.json" "$tmp/knn.json" <<'EOF'
import json, os, sys
expected = {
    "bbt1.jpg": ["raj", "leonard?", "howard", "sheldon"],
    "bbt2.jpg": ["unknown", "leonard", "sheldon"],
    "bbt3.jpg": ["sheldon", "howard", "penny", "raj", "leonard"],
    "bbt4.jpg": ["leonard", "amy", "raj", "penny", "sheldon", "bernadette"],
    "bbt5.jpg": ["raj", "penny", "sheldon", "leonard", "howard"],
    "angry.jpg": ["unknown"], "disgusted.jpg": ["unknown"], "fearful.jpg": ["unknown"],
    "happy.jpg": ["unknown"], "neutral.jpg": ["unknown"], "sad.jpg": ["unknown"],
    "surprised.jpg": ["unknown"],
    "alex_lacamoire1.jpg": ["alex_lacamoire"],
    "johnsnow_test1.jpg": ["kit_harington"],
    "kit_with_rose.jpg": ["rose_leslie", "kit_harington"],
    "obama1.jpg": ["unknown", "obama", "unknown"],  # the two others are false detections
    "obama_and_biden.jpg": ["biden", "obama", "unknown"],
}
found, wrong, missed, strangers = set(), [], [], 0
# Faces are matched by their left-to-right order among the *named* decisions, so a borderline
# detection of a stranger (a score near the threshold) coming or going changes nothing, while a
# missed person, a swap or a stranger taken for someone enrolled still fails.
for path in sys.argv[1:]:
    for image in json.load(open(path)):
        name = os.path.basename(image["image"])
        faces = sorted(image.get("faces", []), key=lambda f: f["box"][0])
        got = [f["decision"] for f in faces if f["decision"] != "unknown"]
        strangers += len(faces) - len(got)
        want = [w for w in expected[name] if w != "unknown"]
        i = 0
        for w in want:
            person = w.rstrip("?")
            if i < len(got) and got[i] == person:
                found.add(person)
                i += 1
            elif not w.endswith("?"):
                missed.append(f"{name}: {person} not found in order")
        wrong += [f"{name}: {g} was not expected here" for g in got[i:]]
people = {w.rstrip("?") for v in expected.values() for w in v if w != "unknown"}
print(f"found {len(found)}/{len(people)} people; {strangers} strangers unknown; "
      f"missed {missed}; wrong {wrong}")
sys.exit(0 if found == people and not missed and not wrong else 1)
EOF
check "bbt + knn: every person found, strangers unknown, nobody mistaken" [ $? = 0 ]
check "identify: no errors" [ ! -s "$tmp/bbt.err" ] && [ ! -s "$tmp/knn.err" ]
"$facet" audit verify >/dev/null
check "audit intact" [ $? = 0 ]

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
