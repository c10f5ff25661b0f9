#!/usr/bin/env bash
# Redaction against real data (skips when ../shared/data is absent):
#   - LFW, the first 200 matched pairs (`facet eval reid`): no redacted face matches its original
#     or another photo of the person at the FMR-1e-3 threshold, while before redaction nearly all
#     pairs do (so the attack is able to match);
#   - WIDER dev, 20 images (`facet eval redact`): >= 90 % of faces >= 16 px covered, and the
#     verification rounds (scanning the JPEG as written) leave no detection at 0.5.
# Usage: redact_data_test.sh FACET_BINARY MODEL_DIR SHARED_DATA_DIR
set -u
facet=$1
export FACET_MODEL_DIR=$2
data=$3
py=/usr/bin/python3
if [ ! -f "$data/lfw/pairs.txt" ] || [ ! -f "$data/wider_dev/wider_face_val_bbx_gt.txt" ]; then
  echo "SKIP: $data/lfw or $data/wider_dev not found"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

"$facet" eval reid --data "$data/lfw" --limit 200 --json >"$tmp/reid.json" || fail "eval reid exit $?"
$py - "$tmp/reid.json" <<'PY' || fail "LFW re-identification"
import json, sys
d = json.load(open(sys.argv[1]))
print("reid:", {k: d[k] for k in ("before_redaction_a_vs_b", "redacted_a_vs_original_a",
                                  "redacted_a_vs_b", "face_detected_in_redacted_a")})
assert d["failed"] == 0 and d["no_face_in_a"] == 0
assert d["before_redaction_a_vs_b"]["matches"] >= 190, "the attack must be able to match"
assert d["redacted_a_vs_original_a"]["compared"] == 200
assert d["redacted_a_vs_original_a"]["matches"] == 0
assert d["redacted_a_vs_b"]["matches"] == 0
assert d["detected_face_vs_b"]["matches"] == 0
PY

for rounds in 8 0; do
  "$facet" eval redact --data "$data/wider_dev" --limit 20 --verify-rounds $rounds --json \
    >"$tmp/wider_$rounds.json" || fail "eval redact --verify-rounds $rounds exit $?"
done
$py - "$tmp/wider_8.json" "$tmp/wider_0.json" <<'PY' || fail "WIDER redaction"
import json, sys
verified, plain = (json.load(open(p)) for p in sys.argv[1:3])
for d in (verified, plain):
    print("wider:", d["at_least_16px"], d["residual_detections"], d["verification"])
    assert d["failed_images"] == 0
    assert d["at_least_16px"]["recall"] >= 0.9
r_v, r_p = verified["residual_detections"], plain["residual_detections"]
assert verified["verification"]["regions_added"] > 0
assert r_v["recall"] < r_p["recall"] and r_v["fast"] <= r_p["fast"]
# Verification scans the output as the JPEG it is written as: what it reports as left is what
# the detector finds in the file, and with the default rounds nothing is left.
assert verified["verification"]["residual_faces"] == r_v["recall"]
assert r_v["fast"] == 0 and r_v["recall"] == 0, "the detector still finds a face after redaction"
PY
exit $failed
