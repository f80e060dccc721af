#!/usr/bin/env bash
# Installs every Debian package the build, tests and benchmarks need.
# Idempotent: re-running installs nothing new. Needs root (or sudo).
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --clients  also the container engines the client tests drive
#   scripts/setup.sh --bench    also the peers the benchmarks compare with
set -euo pipefail

BUILD_PKGS=(
  cmake ninja-build pkg-config g++ clang clang-tidy clang-format ccache
  libabsl-dev libprotobuf-dev protobuf-compiler liburing-dev libseccomp-dev
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libclang-rt-14-dev
  bazel-bootstrap bazel-rules-java
  busybox-static iproute2 util-linux procps git
  debootstrap debian-archive-keyring
)
CLIENT_PKGS=(podman conmon containerd docker.io runc crun uidmap)
BENCH_PKGS=(runc crun runsc hyperfine jq python3 file)

want=("${BUILD_PKGS[@]}")
for arg in "$@"; do
  case "$arg" in
    --clients) want+=("${CLIENT_PKGS[@]}") ;;
    --bench) want+=("${BENCH_PKGS[@]}") ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#want[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
