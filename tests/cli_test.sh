#!/usr/bin/env bash
# CLI behaviour on good and bad input: every bad file gives a one-line error and a non-zero exit,
# a batch reports each bad file and goes on, nothing crashes or hangs.
# Usage: cli_test.sh FACET_BINARY MODEL_DIR
set -u
facet=$1
models=$2
samples=$models/src/@vladmandic/face-api@1.7.15/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RUN_TIMEOUT=60
source "$(dirname "$0")/cli_lib.sh"
lines() { wc -l <"$tmp/$1.stderr"; }

# Bad files.
: >"$tmp/empty.jpg"
echo "hello, I am not an image" >"$tmp/text.jpg"
head -c 3000 "$samples/sample1.jpg" >"$tmp/truncated.jpg"
head -c 20000 "$samples/sample1.jpg" >"$tmp/truncated_more.jpg"
printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' >"$tmp/image.gif"
# A PNG whose header declares 100000 x 100000 pixels (a decompression bomb's header).
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00\x00\x00\x00\x00' >"$tmp/bomb.png"
head -c 4096 /dev/urandom >"$tmp/random.jpg"
mkdir "$tmp/a_directory.jpg"

for bad in empty text truncated truncated_more image bomb random a_directory missing; do
  f=$(ls -d "$tmp/$bad".* 2>/dev/null || echo "$tmp/$bad.jpg")
  run "$bad" detect "$f"
  check "$bad: non-zero exit" [ "$(code "$bad")" = 1 ]
  check "$bad: exactly one error line" [ "$(lines "$bad")" = 1 ]
  check "$bad: error names the file" grep -q "$(basename "$f")" "$tmp/$bad.stderr"
done
check "bomb: says it is over the pixel limit" grep -qi "limit" "$tmp/bomb.stderr"

# A batch goes on past bad files and reports each.
run batch detect --json "$samples/sample1.jpg" "$tmp/text.jpg" "$samples/sample2.jpg" "$tmp/missing.jpg"
check "batch: non-zero exit" [ "$(code batch)" = 1 ]
check "batch: two error lines" [ "$(lines batch)" = 2 ]
check "batch: JSON has 4 entries, 2 with faces" \
  /usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/batch.stdout')); \
sys.exit(0 if len(d)==4 and len(d[0]['faces'])==3 and 'error' in d[1] and len(d[2]['faces'])==3 and 'error' in d[3] else 1)"

# JSON shape of detect.
run good detect --json "$samples/sample5.jpg" --draw "$tmp/annotated.png"
check "detect: exit 0" [ "$(code good)" = 0 ]
check "detect: annotated image written" [ -s "$tmp/annotated.png" ]
check "detect: JSON keys" /usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/good.stdout')); f=d[0]['faces'][0]; \
sys.exit(0 if d[0]['image'].endswith('sample5.jpg') and len(d[0]['faces'])==5 and len(f['box'])==4 and len(f['landmarks'])==5 \
and all(len(p)==2 for p in f['landmarks']) and 0<=f['score']<=1 and f['quality'] in ('low','medium','high') else 1)"

# compare: JSON keys, and a clear error when one side has no face.
run cmp compare --json "$samples/sample1.jpg" "$samples/sample1.jpg"
check "compare: exit 0" [ "$(code cmp)" = 0 ]
check "compare: same photo is the same person" /usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/cmp.stdout')); \
sys.exit(0 if d['same'] is True and d['similarity']>0.99 and 'threshold' in d else 1)"
# A flat grey 300x200 BMP (24-bit, rows padded to 4 bytes: 900 bytes a row).
/usr/bin/python3 -c "import struct; w,h=300,200; px=bytes([127])*(w*3*h); \
open('$tmp/noface.bmp','wb').write(b'BM'+struct.pack('<IHHI',54+len(px),0,0,54)+ \
struct.pack('<IiiHHIIiiII',40,w,h,1,24,0,len(px),2835,2835,0,0)+px)"
run noface compare "$samples/sample1.jpg" "$tmp/noface.bmp"
check "compare no face: exit 1" [ "$(code noface)" = 1 ]
check "compare no face: says so" grep -q "no face" "$tmp/noface.stderr"

# Usage errors.
run usage detect --detector-mode turbo "$samples/sample1.jpg"
check "bad mode: exit 2" [ "$(code usage)" = 2 ]
# --draw never writes over an input photo, named directly or through a link.
cp "$samples/sample1.jpg" "$tmp/mine.jpg"
ln -s "$tmp/mine.jpg" "$tmp/link.jpg"
before=$(sha256sum <"$tmp/mine.jpg")
run draw_over detect "$tmp/mine.jpg" --draw "$tmp/mine.jpg"
run draw_link detect "$tmp/mine.jpg" --draw "$tmp/link.jpg"
check "draw over the input: exit 2" sh -c "[ $(code draw_over) = 2 ] && [ $(code draw_link) = 2 ]"
check "draw over the input: photo intact" [ "$(sha256sum <"$tmp/mine.jpg")" = "$before" ]

# eval pairs: an output naming an input is refused before any work; an output that cannot be
# written, or images that cannot be read, fail the run (its figures would not be about the model).
mkdir -p "$tmp/pairs"
cp "$samples/sample1.jpg" "$samples/sample2.jpg" "$tmp/pairs/"
printf '0 sample1.jpg sample2.jpg\n1 sample1.jpg sample1.jpg\n' >"$tmp/pairs.list"
cp "$tmp/pairs.list" "$tmp/pairs.before"
run pairs_ok eval pairs --list "$tmp/pairs.list" --root "$tmp/pairs" --pairs-out "$tmp/pairs.tsv"
check "eval pairs: exit 0, TSV written" sh -c "[ $(code pairs_ok) = 0 ] && [ -s '$tmp/pairs.tsv' ]"
run pairs_over eval pairs --list "$tmp/pairs.list" --root "$tmp/pairs" --pairs-out "$tmp/pairs.list"
check "eval pairs --pairs-out over the list: exit 2, list intact" \
  sh -c "[ $(code pairs_over) = 2 ] && cmp -s '$tmp/pairs.list' '$tmp/pairs.before'"
run pairs_unwritable eval pairs --list "$tmp/pairs.list" --root "$tmp/pairs" \
  --pairs-out "$tmp/no/such/folder/x.tsv"
check "eval pairs, output not written: exit 1" [ "$(code pairs_unwritable)" = 1 ]
run pairs_noroot eval pairs --list "$tmp/pairs.list" --root "$tmp/no_such_root"
check "eval pairs, images unreadable: exit 1, says so" \
  sh -c "[ $(code pairs_noroot) = 1 ] && grep -q 'could not be read' '$tmp/pairs_noroot.stderr'"
run badmodel detect --model arcface "$samples/sample1.jpg"
check "unknown model: exit 1 with the known names" grep -q "mobilefacenet" "$tmp/badmodel.stderr"

finish cli_test
