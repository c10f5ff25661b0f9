#!/usr/bin/env bash
# Installs the Debian packages facet needs to build, convert its models and run its tests.
# Idempotent: installs only what is missing (apt-get update runs only then).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libopencv-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-onnx python3-numpy python3-flatbuffers
  nodejs npm
  libxnnpack-dev libpthreadpool-dev
  # service (serve branch): HTTP server, TLS, API key hashing; web UI test; fuzzing; benchmarks
  libcpp-httplib-dev libssl-dev libsodium-dev chromium clang-14 libfuzzer-14-dev wrk
  # galleries: encryption, the embedded store, the HNSW index and its BLAS (galleries branch)
  libsqlite3-dev libfaiss-dev libopenblas-dev
  # redaction: video I/O (FFmpeg's libraries) and ffprobe for its end-to-end tests
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  # the PostgreSQL store: libpq to build, a PostgreSQL 15 server for its tests (issue 19)
  libpq-dev postgresql-15
  # the cluster (scripts/cluster.sh, its fault test): Patroni on etcd, HAProxy in front
  patroni python3-etcd etcd-server haproxy
)
if [ "${FACET_WITH_LINT:-0}" = 1 ]; then packages+=(clang-tidy); fi
# clang-tidy parses the OpenMP code of the HNSW index: it needs clang's omp.h (galleries branch).
if [ "${FACET_WITH_LINT:-0}" = 1 ]; then packages+=(libomp-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from the system image instead of Debian's package.
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps.sh: all packages present" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2
