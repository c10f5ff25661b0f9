#!/usr/bin/env bash
# What the CLI tells a new user (issue 17): verify judges every face (or --face N) and says which
# face and where; redact of a non-image says "not an image" as detect does; identify numbers faces
# largest first with boxes inside the image; cluster --evaluate and bulk enroll say what they
# leave out. Needs ffmpeg's CLI to compose test photos.
# Usage: cli_answers_test.sh FACET_BINARY MODEL_DIR
set -u
facet=$1
models=$2
samples=$(cd "$models/src/@vladmandic/face-api@1.7.15/demo" && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
export FACET_STORE=$tmp/store.db FACET_KEY_FILE=$tmp/master.key FACET_MODEL_DIR=$models
unset FACET_MASTER_KEY
source "$(dirname "$0")/cli_lib.sh"
compose() {  # compose OUT FFMPEG_ARGS...
  local out=$1; shift
  ffmpeg -loglevel error -y "$@" -q:v 2 "$out" || { echo "ffmpeg failed" >&2; exit 1; }
}

# Test photos. group.jpg: sample2 at full size with sample3 at half size in its lower left, so
# sample3's largest face (alice, enrolled below) is not the largest face of the photo.
# cut.jpg: sample3 without its left 680 columns: one face is cut by the left edge.
compose "$tmp/group.jpg" -i "$samples/sample2.jpg" -i "$samples/sample3.jpg" \
  -filter_complex "[1]scale=960:-2[s];[0][s]overlay=0:H-h"
compose "$tmp/cut.jpg" -i "$samples/sample3.jpg" -vf crop=iw-680:ih:680:0

run init init
run g gallery create office --purpose "door access"
run p person add --gallery office --person alice
run c consent grant --gallery office --person alice --scope identify --purpose "door access" \
  --granted-by alice
run e enroll --gallery office --person alice "$samples/sample3.jpg"
check "setup: alice enrolled" [ "$(code e)" = 0 ]

# verify: alice is in group.jpg, though not its largest face.
run v1 verify --gallery office --person alice --purpose test "$tmp/group.jpg"
check "verify: exit 0" [ "$(code v1)" = 0 ]
check "verify: finds alice among the faces (not only the largest)" \
  grep -Eq "face [0-9]+ of 6 at \[[0-9., ]+\] is alice" "$tmp/v1.stdout"
check "verify: the face judged is not face 1" bash -c "! grep -q 'face 1 of' '$tmp/v1.stdout'"
run v2 verify --gallery office --person alice --purpose test --json "$tmp/group.jpg"
check "verify JSON: same, the face judged, its box, every face" json v2 \
  "d['same'] is True and d['face'] > 1 and d['faces_in_image'] == 6 and len(d['box']) == 4 \
   and len(d['faces']) == 6 and [f['face'] for f in d['faces']] == [1,2,3,4,5,6] \
   and sum(f['same'] for f in d['faces']) == 1 and d['faces'][d['face']-1]['same']"
run v3 verify --gallery office --person alice --purpose test --face 1 "$tmp/group.jpg"
check "verify --face 1: judges that face only" grep -Eq "face 1 of 6 at .* is not alice" "$tmp/v3.stdout"
run v4 verify --gallery office --person alice --purpose test --face 7 "$tmp/group.jpg"
check "verify --face beyond the faces: usage error" [ "$(code v4)" = 2 ]
check "verify --face beyond the faces: says how many" grep -q "has 6 face" "$tmp/v4.stderr"
run v5 verify --gallery office --person alice --purpose test "$samples/sample2.jpg"
check "verify: nobody matches: says so and names the closest face" \
  grep -Eq "none of the 3 faces is alice; the closest is face [1-3] at \[" "$tmp/v5.stdout"

# identify: faces numbered largest first, boxes clipped to the image.
run i1 identify --gallery office --purpose test --json "$tmp/cut.jpg"
check "identify JSON: largest face first" json i1 \
  "[b[2]*b[3] for b in [f['box'] for f in d[0]['faces']]] == \
   sorted([f['box'][2]*f['box'][3] for f in d[0]['faces']], reverse=True)"
check "identify JSON: no box outside the 1240x1350 image" json i1 \
  "all(b[0] >= 0 and b[1] >= 0 and b[0]+b[2] <= 1240 and b[1]+b[3] <= 1350 \
       for b in [f['box'] for f in d[0]['faces']])"
check "identify JSON: the face at the left edge starts at x = 0" json i1 \
  "any(f['box'][0] == 0 for f in d[0]['faces'])"
run i2 identify --gallery office --purpose test "$tmp/cut.jpg"
check "identify text: numbered 1..3 in order" bash -c \
  "[ \"\$(grep -o 'face [0-9] of 3' '$tmp/i2.stdout' | tr '\n' ' ')\" = 'face 1 of 3 face 2 of 3 face 3 of 3 ' ]"
check "identify text: no negative coordinate" bash -c "! grep -q '\[-\|, -' '$tmp/i2.stdout'"

# detect shows boxes clipped the same way.
run dc detect --json "$tmp/cut.jpg"
check "detect JSON: no box outside the image" json dc \
  "all(b[0] >= 0 and b[1] >= 0 and b[0]+b[2] <= d[0]['width'] and b[1]+b[3] <= d[0]['height'] \
       for b in [f['box'] for f in d[0]['faces']]) and any(f['box'][0] == 0 for f in d[0]['faces'])"
run dt detect "$tmp/cut.jpg"
check "detect text: no negative coordinate" bash -c "! grep -q '\[-\|, -' '$tmp/dt.stdout'"

# redact: a file that is not an image is reported as one, like detect.
echo "hi" >"$tmp/bad.jpg"
run d1 detect "$tmp/bad.jpg"
run r1 redact "$tmp/bad.jpg" "$tmp/out.jpg"
check "redact non-image: exit 1" [ "$(code r1)" = 1 ]
check "redact non-image: says not an image" grep -q "not a JPEG, PNG, WebP or BMP image" "$tmp/r1.stderr"
check "redact non-image: detect's words" bash -c \
  "grep -o 'not a JPEG.*' '$tmp/d1.stderr' | cmp -s - <(grep -o 'not a JPEG.*' '$tmp/r1.stderr')"
check "redact non-image: nothing about video" bash -c "! grep -qi video '$tmp/r1.stderr'"
check "redact non-image: no output" [ ! -e "$tmp/out.jpg" ]
run r2 redact "$tmp/bad.jpg" "$tmp/out.mp4"
check "redact non-image named .jpg to .mp4: not an image" grep -q "not a JPEG" "$tmp/r2.stderr"
cp "$samples/sample1.jpg" "$tmp/photo.mp4"
run r3 redact "$tmp/photo.mp4" "$tmp/photo_out.jpg"
check "redact: a photo named .mp4 is redacted as a photo" [ "$(code r3)" = 0 ]

# cluster --evaluate without NAME/ subfolders: an error that says what is needed; with some
# loose images: a warning that they are left out.
mkdir -p "$tmp/flat" "$tmp/mixed/alice"
cp "$samples/sample1.jpg" "$samples/sample2.jpg" "$tmp/flat/"
run k1 cluster "$tmp/flat" --evaluate
check "cluster --evaluate flat: exit 1" [ "$(code k1)" = 1 ]
check "cluster --evaluate flat: says NAME/ subfolders are needed" grep -q "NAME/" "$tmp/k1.stderr"
cp "$samples/sample1.jpg" "$tmp/mixed/"
cp "$samples/sample3.jpg" "$tmp/mixed/alice/"
run k2 cluster "$tmp/mixed" --evaluate --json
check "cluster --evaluate mixed: runs on the subfolder" json k2 "d['images'] == 1"
check "cluster --evaluate mixed: warns about the loose image" grep -q "1 image(s) directly in" "$tmp/k2.stderr"
run k3 cluster "$tmp/flat" --json
check "cluster without --evaluate: a flat folder is fine" json k3 "d['images'] == 2"

# Bulk enroll: loose files beside the NAME/ folders are named as skipped.
mkdir -p "$tmp/people/bob"
cp "$samples/sample5.jpg" "$tmp/people/bob/"
cp "$samples/sample1.jpg" "$tmp/people/loose.jpg"
printf 'person,granted_by,scope,purpose\nbob,bob,identify,door access\n' >"$tmp/consents.csv"
run b1 enroll --gallery office --folder "$tmp/people" --consents "$tmp/consents.csv" --min-quality low
check "bulk enroll: exit 0" [ "$(code b1)" = 0 ]
check "bulk enroll: bob enrolled" grep -q "^enrolled bob" "$tmp/b1.stdout"
check "bulk enroll: names the skipped loose file" grep -q "skipped 1 file(s) .*loose.jpg" "$tmp/b1.stderr"

finish cli_answers_test
