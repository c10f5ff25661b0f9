#!/usr/bin/env bash
# Video redaction speed (docs/benchmarks.md): facet redact on ../shared/data/media/video/street_1080p.mp4
# and on a 720p copy of it (made here with ffmpeg's scale filter), JSON summary with CPU time per
# frame and stage, plus /usr/bin/time's wall clock and CPU. Needs a release build.
# Usage: scripts/bench_redact.sh [extra facet redact flags]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
video=../shared/data/media/video/street_1080p.mp4
[ -f "$video" ] || { echo "bench_redact.sh: $video not found" >&2; exit 1; }
cmake --build --preset release --target facet >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ffmpeg -v error -i "$video" -vf scale=1280:720 -c:v libx264 -preset veryfast -crf 18 -c:a copy "$tmp/street_720p.mp4"
for input in "$video" "$tmp/street_720p.mp4"; do
  echo "== $(basename "$input")"
  /usr/bin/time -f "time: %e s wall, %U s user, %S s sys, %M KB max RSS" \
    ./build/facet redact "$input" "$tmp/out.mp4" --json "$@" |
    /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); \
print('frames %d %dx%d, %.2f frames/s end to end, faces redacted per frame %.1f (max %d), CPU ms/frame %s' % \
(d['frames'], d['width'], d['height'], d['frames_per_second'], d['faces_redacted_total'] / d['frames'], \
d['max_faces_in_a_frame'], d['cpu_ms_per_frame']))"
done
