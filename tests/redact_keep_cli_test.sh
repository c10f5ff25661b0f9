#!/usr/bin/env bash
# facet redact --keep GALLERY --purpose TEXT: a person enrolled with consent stays visible (still
# detected, still identified as themself), a stranger is redacted (no longer detected where they
# were, no longer identified as themself in a gallery that knows them); one audit entry per photo
# or video; the audit chain verifies; no --purpose, an unknown gallery or a missing store is an
# error with nothing written. The identity checks need ../shared/data/media (skipped without it).
# Usage: redact_keep_cli_test.sh FACET_BINARY MODEL_DIR FIXTURE_DIR SHARED_DATA_DIR
set -u
facet=$1
models=$2
fixtures=$3
shared=$4
samples=$models/src/@vladmandic/face-api@1.7.15/demo
knn=$shared/media/gallery_knn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FACET_STORE=$tmp/store.db FACET_KEY_FILE=$tmp/master.key FACET_MODEL_DIR=$models
unset FACET_MASTER_KEY
RUN_TIMEOUT=300
source "$(dirname "$0")/cli_lib.sh"
enroll() {  # enroll GALLERY PERSON PHOTOS...
  local gallery=$1 person=$2; shift 2
  "$facet" person add --gallery "$gallery" --person "$person" >/dev/null &&
    "$facet" consent grant --gallery "$gallery" --person "$person" --scope identify \
      --purpose test --granted-by "$person" >/dev/null &&
    "$facet" enroll --gallery "$gallery" --person "$person" "$@" >/dev/null 2>&1
}

"$facet" init >/dev/null 2>&1 || { echo "FAIL: init" >&2; exit 1; }
"$facet" gallery create keep --purpose "interviewees who agreed to be shown" >/dev/null
mkdir -p "$tmp/out"

# Refusals: nothing is read or written.
run nopurpose redact --keep keep "$samples/sample3.jpg" "$tmp/out/a.jpg"
check "no --purpose: usage error (exit 2)" [ "$(code nopurpose)" = 2 ]
check "no --purpose: says so" grep -q "purpose" "$tmp/nopurpose.stderr"
run nogallery redact --keep nobody --purpose "test" "$samples/sample3.jpg" "$tmp/out/a.jpg"
check "unknown gallery: exit 1, one line naming it" \
  sh -c "[ $(code nogallery) = 1 ] && [ $(wc -l <"$tmp/nogallery.stderr") = 1 ] && grep -q nobody '$tmp/nogallery.stderr'"
run nostore redact --store "$tmp/missing.db" --keep keep --purpose "test" "$samples/sample3.jpg" "$tmp/out/a.jpg"
check "missing store: exit 1, says so" sh -c "[ $(code nostore) = 1 ] && grep -q 'store not found' '$tmp/nostore.stderr'"
check "refusals: no output left" [ -z "$(ls -A "$tmp/out")" ]

if [ ! -d "$knn/train/obama" ] || [ ! -f "$knn/test/obama_and_biden.jpg" ]; then
  echo "SKIP: identity checks need $knn (../shared/data)"
else
  photo=$knn/test/obama_and_biden.jpg
  enroll keep obama "$knn/train/obama/"*.jpg
  # A second gallery that knows the stranger: the check that his face no longer matches him.
  "$facet" gallery create check --purpose "test oracle" >/dev/null
  enroll check biden "$knn/train/biden/"*.jpg
  run before identify --gallery check --purpose "test" --json "$photo"
  check "oracle: the stranger is identified in the original" \
    json before "sum(f['decision'] == 'biden' for f in d[0]['faces']) == 1"
  run kept redact --keep keep --purpose "publish the interview" --json "$photo" "$tmp/out/kept.jpg"
  check "keep: exit 0" [ "$(code kept)" = 0 ]
  check "keep: one face searched and kept, the rest redacted" \
    json kept "d['keep']['faces_identified'] == 1 and any(r['kept'] for r in d['regions']) and d['faces_redacted'] >= 1"
  run after_keep identify --gallery keep --purpose "test" --json "$tmp/out/kept.jpg"
  check "keep: the kept face is still detected and is still obama" \
    json after_keep "sum(f['decision'] == 'obama' for f in d[0]['faces']) == 1"
  run after_check identify --gallery check --purpose "test" --json "$tmp/out/kept.jpg"
  check "keep: the stranger no longer matches himself" \
    json after_check "all(f['decision'] != 'biden' for f in d[0]['faces'])"
  # Where the stranger was, the detector (at its normal threshold) finds no face any more.
  $py - "$tmp/before.stdout" "$tmp/after_check.stdout" <<'PY' && ok=1 || ok=0
import json, sys
before = json.load(open(sys.argv[1]))[0]['faces']
after = json.load(open(sys.argv[2]))[0]['faces']
def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(iw, 0) * max(ih, 0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)
stranger = [f['box'] for f in before if f['decision'] == 'biden'][0]
sys.exit(1 if any(iou(stranger, f['box']) > 0.3 for f in after) else 0)
PY
  check "keep: the stranger's face is not detected" [ "$ok" = 1 ]

  # Video: one audited run for the whole video.
  run video redact --keep keep --purpose "publish the interview" --json \
    "$fixtures/tiny_h264_aac.mp4" "$tmp/out/video.mp4"
  check "keep video: exit 0, summary with keep counts" \
    sh -c "[ $(code video) = 0 ] && $py -c \"import json; d=json.load(open('$tmp/video.stdout')); assert 'faces_searched' in d['keep']\""

  run verify audit verify
  check "audit verify: exit 0" [ "$(code verify)" = 0 ]
  run show audit show --json
  check "audit: one entry per photo and per video, with counts and purpose, no template" json show \
    "[(e['details']['probes'] >= 1, e['details']['identified']) for e in d if e['action'] == 'identify' and e['purpose'] == 'publish the interview' and e['details'].get('activity') == 'redact --keep' and e['details']['completed']][:1] == [(True, 1)] and sum(e['purpose'] == 'publish the interview' for e in d) == 2 and 'values' not in json.dumps(d)"
fi

finish redact_keep_cli_test
