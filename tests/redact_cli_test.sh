#!/usr/bin/env bash
# facet redact end to end: photos, a folder, videos (frame count, rate, size and audio checked
# with ffprobe, independently of facet's own reader), and bad input (one error line, non-zero
# exit, no output file left behind).
# Usage: redact_cli_test.sh FACET_BINARY MODEL_DIR FIXTURE_DIR SHARED_DATA_DIR
set -u
facet=$1
models=$2
fixtures=$3
shared=$4
samples=$models/src/@vladmandic/face-api@1.7.15/demo
videos=$shared/media/video
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}
run() {  # run OUT_PREFIX ARGS...: records exit code, stdout, stderr; 300 s limit (a hang fails)
  local out=$1; shift
  timeout 300 "$facet" "$@" >"$tmp/$out.stdout" 2>"$tmp/$out.stderr"
  echo $? >"$tmp/$out.code"
}
code() { cat "$tmp/$1.code"; }
lines() { wc -l <"$tmp/$1.stderr"; }
json() {  # json FILE PYTHON_EXPR: true when the expression holds for d = the JSON in FILE
  /usr/bin/python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"
}
probe() {  # probe FILE ENTRIES: stream entries of every stream, one "key=value|..." line each
  ffprobe -v error -count_frames -show_entries "stream=$2" -of compact=p=0 "$1"
}
no_leftovers() { [ -z "$(ls -A "$1")" ]; }

# A photo: every face redacted, JSON summary.
run photo redact --json "$samples/sample5.jpg" "$tmp/photo.jpg"
check "photo: exit 0" [ "$(code photo)" = 0 ]
check "photo: output written" [ -s "$tmp/photo.jpg" ]
check "photo: JSON" json "$tmp/photo.stdout" "d['faces_redacted'] >= 5 and len(d['regions']) >= 5 and 'box' in d['regions'][0]"

# A folder: photos in subfolders, one broken; the batch goes on and reports it.
mkdir -p "$tmp/in/sub" "$tmp/folder_out"
cp "$samples/sample1.jpg" "$tmp/in/a.jpg"
cp "$samples/sample2.jpg" "$tmp/in/sub/b.png.jpg"
echo "not a photo" >"$tmp/in/broken.jpg"
echo "notes" >"$tmp/in/readme.txt"
# A photo that is a link to a file elsewhere: read through the link, never written through it.
mkdir -p "$tmp/elsewhere"
cp "$samples/sample3.jpg" "$tmp/elsewhere/linked.jpg"
ln -s "$tmp/elsewhere/linked.jpg" "$tmp/in/linked.jpg"
before=$(md5sum <"$tmp/elsewhere/linked.jpg")
run folder redact --json --mode pixelate "$tmp/in" "$tmp/folder_out"
check "folder: a linked photo's target is untouched" [ "$(md5sum <"$tmp/elsewhere/linked.jpg")" = "$before" ]
check "folder: a linked photo's output is in the output folder" [ -s "$tmp/folder_out/linked.jpg" -a ! -L "$tmp/folder_out/linked.jpg" ]
check "folder: exit 1 (one broken photo)" [ "$(code folder)" = 1 ]
check "folder: one error line naming it" sh -c "[ $(lines folder) = 1 ] && grep -q broken.jpg '$tmp/folder.stderr'"
check "folder: the others written, tree kept" [ -s "$tmp/folder_out/a.jpg" -a -s "$tmp/folder_out/sub/b.png.jpg" ]
check "folder: nothing written for the broken one" [ ! -e "$tmp/folder_out/broken.jpg" ]
check "folder: JSON" json "$tmp/folder.stdout" "d['photos'] == 4 and d['failed'] == 1 and d['faces_redacted'] >= 9"

# Never over an input: the same photo (also through a link), an output folder inside the input.
cp "$samples/sample1.jpg" "$tmp/self.jpg"
ln -s "$tmp/self.jpg" "$tmp/self_link.jpg"
before=$(md5sum <"$tmp/self.jpg")
run self redact "$tmp/self.jpg" "$tmp/self_link.jpg"
check "photo onto itself: refused" [ "$(code self)" = 1 ]
check "photo onto itself: untouched" [ "$(md5sum <"$tmp/self.jpg")" = "$before" ]
run nested redact "$tmp/in" "$tmp/in/out"
check "output folder inside the input: refused" sh -c "[ $(code nested) = 1 ] && [ ! -e '$tmp/in/out' ]"

# Videos: frame count, rate and size as the input; audio kept unless --no-audio.
video_case() {  # video_case NAME INPUT [ARGS...]
  local name=$1 input=$2; shift 2
  run "$name" redact --json "$input" "$tmp/$name.mp4" "$@"
  check "$name: exit 0" [ "$(code "$name")" = 0 ]
  probe "$input" "codec_type,width,height,r_frame_rate,nb_read_frames" | grep '^codec_type=video' >"$tmp/$name.in_video"
  probe "$tmp/$name.mp4" "codec_type,width,height,r_frame_rate,nb_read_frames" | grep '^codec_type=video' >"$tmp/$name.out_video"
  check "$name: frame count, rate and size kept" cmp -s "$tmp/$name.in_video" "$tmp/$name.out_video"
  check "$name: H.264 output" sh -c "ffprobe -v error -select_streams v -show_entries stream=codec_name -of csv=p=0 '$tmp/$name.mp4' | grep -qx h264"
  check "$name: JSON frames = ffprobe's count" json "$tmp/$name.stdout" \
    "d['frames'] == int(open('$tmp/$name.in_video').read().split('nb_read_frames=')[1].split('|')[0]) and len(d['faces_redacted_per_frame']) == d['frames']"
}
audio_streams() { ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 "$1" | wc -l; }

video_case fixture "$fixtures/tiny_h264_aac.mp4"
check "fixture: audio kept" [ "$(audio_streams "$tmp/fixture.mp4")" = 1 ]
check "fixture: audio packets unchanged" sh -c "[ \"\$(ffprobe -v error -select_streams a -show_entries packet=size,pts -of csv=p=0 '$fixtures/tiny_h264_aac.mp4' | md5sum)\" = \"\$(ffprobe -v error -select_streams a -show_entries packet=size,pts -of csv=p=0 '$tmp/fixture.mp4' | md5sum)\" ]"
video_case fixture_silent "$fixtures/tiny_h264_aac.mp4" --no-audio
check "fixture --no-audio: no audio" [ "$(audio_streams "$tmp/fixture_silent.mp4")" = 0 ]

# Video: a clip of sample5's five faces. The scan redacts them so that the detector finds nothing
# at 0.5 in the written file (the original holds them in every frame). Verification
# (--verify-rounds) only strengthens regions around the scan's: it leaves the same file clean and
# never adds a region the scan did not start from (regions per frame stay the scan's five or so).
ffmpeg -v error -loop 1 -i "$samples/sample5.jpg" -frames:v 6 -r 25 -vf "scale=960:-2,format=yuv420p" \
  -c:v libx264 -preset ultrafast "$tmp/faces.mp4"
run faces_scan eval redact-video --input "$tmp/faces.mp4" --skip-recall --json
check "faces: exit 0" [ "$(code faces_scan)" = 0 ]
check "faces: nothing left in the file, five faces per frame in the original" json "$tmp/faces_scan.stdout" \
  "d['detections_at_0.5']['redacted']['fast']['detections'] == 0 and d['detections_at_0.5']['original']['fast']['detections'] >= 5 * 6"
check "faces: about one region per face" json "$tmp/faces_scan.stdout" \
  "5 <= d['regions_per_frame']['mean'] <= 6"
run faces_verified eval redact-video --input "$tmp/faces.mp4" --skip-recall --json --verify-rounds 3
check "faces, verification: exit 0" [ "$(code faces_verified)" = 0 ]
check "faces, verification: nothing left, no region added outside the scan's" json "$tmp/faces_verified.stdout" \
  "d['detections_at_0.5']['redacted']['fast']['detections'] == 0 and d['regions_per_frame']['max'] <= 2 * 5"
# Without redaction (the threshold above every score) the faces stay: the check above can fail.
run faces_none eval redact-video --input "$tmp/faces.mp4" --skip-recall --json --threshold 0.9999
check "faces, threshold 0.9999: faces left in the file" json "$tmp/faces_none.stdout" \
  "d['detections_at_0.5']['redacted']['fast']['detections'] >= 3 * 6"
# The same faces coded sideways (700 px wide: rows of 2,100 bytes, which once made the BGR
# conversion write past the frame) with a display matrix: scanned upright.
ffmpeg -v error -loop 1 -i "$samples/sample5.jpg" -frames:v 6 -r 25 \
  -vf "scale=960:-2,transpose=1,format=yuv420p" -c:v libx264 -preset ultrafast "$tmp/sideways.mp4"
ffmpeg -v error -i "$tmp/sideways.mp4" -c copy -metadata:s:v:0 rotate=90 "$tmp/rotated.mp4"
run rotated eval redact-video --input "$tmp/rotated.mp4" --skip-recall --json
check "rotated: exit 0" [ "$(code rotated)" = 0 ]
check "rotated: nothing left" json "$tmp/rotated.stdout" \
  "d['detections_at_0.5']['redacted']['fast']['detections'] == 0 and d['detections_at_0.5']['original']['fast']['detections'] >= 5 * 6"
# Fewer frames than the pipeline's lags.
ffmpeg -v error -i "$tmp/faces.mp4" -frames:v 2 -c copy "$tmp/two_frames.mp4"
run two_frames eval redact-video --input "$tmp/two_frames.mp4" --skip-recall --json --verify-rounds 2
check "two frames: redacted" json "$tmp/two_frames.stdout" \
  "d['frames'] == 2 and d['detections_at_0.5']['redacted']['fast']['detections'] == 0"

if [ -f "$videos/tiny_5frames.mp4" ] && [ -f "$videos/stage_360p.mp4" ]; then
  video_case tiny "$videos/tiny_5frames.mp4"
  check "tiny: faces redacted" json "$tmp/tiny.stdout" "d['faces_redacted_total'] > 0"
  video_case stage "$videos/stage_360p.mp4" --mode fill
  check "stage: audio kept" [ "$(audio_streams "$tmp/stage.mp4")" = 1 ]
  check "stage: audio stream copied" json "$tmp/stage.stdout" "d['copied_streams'] == ['audio aac']"
  # Ctrl-C stops a video cleanly: no output, no hidden partial file left (the signal comes once
  # the partial file exists, i.e. while frames are being written).
  mkdir -p "$tmp/interrupted"
  timeout 300 "$facet" redact "$videos/stage_360p.mp4" "$tmp/interrupted/x.mp4" \
    >"$tmp/int.stdout" 2>"$tmp/int.stderr" &
  pid=$!
  for _ in $(seq 600); do
    compgen -G "$tmp/interrupted/.x.mp4.facet-partial-*" >/dev/null && break
    sleep 0.05
  done
  # Through timeout, which passes the signal on to facet and again to its process group: facet
  # gets SIGINT twice at once, as from a wrapper script, and must still stop cleanly.
  kill -INT "$pid"
  wait "$pid"
  echo $? >"$tmp/int.code"
  check "interrupted: exit 1, says cancelled (exit $(code int): $(head -c 300 "$tmp/int.stderr"))" \
    sh -c "[ $(code int) = 1 ] && grep -q cancelled '$tmp/int.stderr'"
  check "interrupted: nothing left in the output folder" no_leftovers "$tmp/interrupted"
else
  echo "SKIP: $videos not found (shared evaluation data absent): real-video cases skipped" >&2
fi
# Faces the scan first finds a few frames after they came into view are redacted from then on
# too (look-back): a woman coming out from behind a boy (fully visible in frame 93; RetinaFace
# scores her 0.05-0.13 in frames 94-96, O-Net vouches, a tile finds her at 0.996 in 97) and a man
# passing a pillar (frame 66; first found in 68). The centre of each face (boxes from `facet
# detect --detector-mode recall` on the original frames) must be black in a fill-mode output.
if [ -f "$videos/street_1080p.mp4" ]; then
  run street redact "$videos/street_1080p.mp4" "$tmp/street.mp4" --mode fill --json
  check "street: exit 0" [ "$(code street)" = 0 ]
  check "street: looks back one tile rotation (21 frames at 1080p)" json "$tmp/street.stdout" \
    "d['look_back_frames'] == 21"
  covered() {  # covered FRAME X Y W H (even: 4:2:0): at least 90 % of the box's pixels black
    rm -f "$tmp/crop.raw"
    ffmpeg -v error -i "$tmp/street.mp4" -vf "select=eq(n\\,$1),crop=$4:$5:$2:$3,format=gray" \
      -frames:v 1 -f rawvideo "$tmp/crop.raw" &&
      /usr/bin/python3 -c "import sys; b=open('$tmp/crop.raw','rb').read(); \
sys.exit(0 if len(b) == $4 * $5 and sum(v <= 24 for v in b) >= 0.9 * len(b) else 1)"
  }
  check "street: the woman coming out from behind the boy, frame 93" covered 93 902 686 26 34
  check "street: the man passing the pillar, frame 66" covered 66 1520 690 26 40
  check "street: a face found in its own frame, 93" covered 93 1126 680 30 42
  not_covered() { ! covered "$@"; }
  check "street: the wall at the top left left as it was (the check can fail)" \
    not_covered 93 20 20 30 40
else
  echo "SKIP: $videos/street_1080p.mp4 not found: the look-back case skipped" >&2
fi

# Bad input: one error line, exit 1, no output (nor partial file) left.
mkdir -p "$tmp/bad" "$tmp/out"
: >"$tmp/bad/empty.mp4"
echo "hello, I am not a video" >"$tmp/bad/text.mp4"
head -c 4000 "$fixtures/tiny_h264_aac.mp4" >"$tmp/bad/truncated.mp4"
perl -0777 -pe 's/avc1/zzzz/g' "$fixtures/tiny_h264_aac.mp4" >"$tmp/bad/unknown_codec.mp4"
for bad in empty text truncated unknown_codec missing; do
  run "bad_$bad" redact "$tmp/bad/$bad.mp4" "$tmp/out/$bad.mp4"
  check "$bad: exit 1" [ "$(code "bad_$bad")" = 1 ]
  check "$bad: exactly one error line" [ "$(lines "bad_$bad")" = 1 ]
  check "$bad: error names the file" grep -q "$bad.mp4" "$tmp/bad_$bad.stderr"
done
check "bad input: no output or partial file left" no_leftovers "$tmp/out"
check "truncated: says so" grep -qi "truncated" "$tmp/bad_truncated.stderr"
check "unknown codec: says so" grep -qi "unsupported video codec" "$tmp/bad_unknown_codec.stderr"
check "empty: says so" grep -qi "empty" "$tmp/bad_empty.stderr"

# A damaged input (bytes flipped in the video data, the same bytes every run) is redacted as far
# as it decodes, with one warning saying what was lost, and the losses in the JSON.
/usr/bin/python3 - "$fixtures/tiny_h264_aac.mp4" "$tmp/bad/damaged.mp4" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
start = data.find(b"mdat") + 200
rng = random.Random(1)
for _ in range(40):
    data[rng.randrange(start, len(data) - 1500)] ^= 0xFF
open(sys.argv[2], "wb").write(bytes(data))
PY
run damaged redact "$tmp/bad/damaged.mp4" "$tmp/out/damaged.mp4" --json
check "damaged: exit 0" [ "$(code damaged)" = 0 ]
check "damaged: one warning naming the file and the frames written" \
  sh -c "[ $(lines damaged) = 1 ] && grep -q 'damaged.mp4 is damaged: .* the output has [0-9]* frames' '$tmp/damaged.stderr'"
check "damaged: the JSON counts the losses" \
  json "$tmp/damaged.stdout" "d['decode_errors'] > 0 and d['input_video_packets'] > d['frames'] > 0"
rm -f "$tmp/out/damaged.mp4"

# An existing output survives a failed run.
echo "precious" >"$tmp/out/keep.mp4"
run bad_keep redact "$tmp/bad/truncated.mp4" "$tmp/out/keep.mp4"
check "failed run: existing output untouched" grep -qx precious "$tmp/out/keep.mp4"

# Usage and output errors.
run usage redact --mode sparkle "$samples/sample1.jpg" "$tmp/x.jpg"
check "bad mode: exit 2" [ "$(code usage)" = 2 ]
# A value out of range is a usage error before any work, photo or video option alike, and the
# eval subcommands take the same redaction flags and refuse the same values (redact_flags.h).
run bad_threshold redact --threshold 2 "$samples/sample1.jpg" "$tmp/x.jpg"
run bad_hold redact --hold -5 "$samples/sample1.jpg" "$tmp/x.jpg"
run bad_workers redact --workers 100 "$samples/sample1.jpg" "$tmp/x.jpg"
run eval_bad_rounds eval redact --data "$tmp/none" --verify-rounds -1
run eval_video_bad_scale eval redact-video --input "$tmp/none.mp4" --scale 9
run eval_video_bad_hold eval redact-video --input "$tmp/none.mp4" --hold -5
for c in bad_threshold bad_hold bad_workers eval_bad_rounds eval_video_bad_scale \
         eval_video_bad_hold; do
  check "$c: exit 2, one line" sh -c "[ $(code $c) = 2 ] && [ $(lines $c) = 1 ]"
done
check "bad values: no output written" [ ! -e "$tmp/x.jpg" ]
# A video given a photo's name to be written to: the output's name is what is wrong.
run video_to_png redact "$fixtures/tiny_h264_aac.mp4" "$tmp/x.png"
check "video to .png: exit 1, says how a video is written" \
  sh -c "[ $(code video_to_png) = 1 ] && grep -q 'a video is written as' '$tmp/video_to_png.stderr'"
# A FIFO as input is refused at once (reading it would block), and a missing output folder is
# named before any work.
mkfifo "$tmp/fifo.jpg"
run fifo redact "$tmp/fifo.jpg" "$tmp/x.jpg"
check "fifo input: exit 1, says so" sh -c "[ $(code fifo) = 1 ] && grep -q 'not a regular file' '$tmp/fifo.stderr'"
run nodir redact "$samples/sample1.jpg" "$tmp/no/such/x.jpg"
check "missing output folder: exit 1, named" \
  sh -c "[ $(code nodir) = 1 ] && grep -q 'does not exist' '$tmp/nodir.stderr'"
run avi redact "$fixtures/tiny_h264_aac.mp4" "$tmp/out/x.avi"
check "unsupported output container: exit 1, one line" sh -c "[ $(code avi) = 1 ] && [ $(lines avi) = 1 ]"
run same redact "$fixtures/tiny_h264_aac.mp4" "$fixtures/tiny_h264_aac.mp4"
check "output = input: refused" [ "$(code same)" = 1 ]
check "output = input: input untouched" ffprobe -v error "$fixtures/tiny_h264_aac.mp4"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
