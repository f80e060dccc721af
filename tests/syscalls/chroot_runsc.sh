#!/usr/bin/env bash
# A stand-in for `runsc` that runs a bundle with chroot in new mount and PID
# namespaces: NO sandbox, the host kernel serves every call. It exists to
# check run_in_sandbox.sh and that the static test binaries need nothing but
# the busybox rootfs:
#   tests/syscalls/run_in_sandbox.sh tests/syscalls/chroot_runsc.sh BINARY
# Understands only: [--root DIR] run --bundle BUNDLE ID (needs root).
set -euo pipefail
bundle=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) shift 2 ;;
    run) shift ;;
    --bundle) bundle=$2; shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$bundle" ] || { echo "chroot_runsc: no --bundle" >&2; exit 2; }
rootfs="$bundle/rootfs"
# The process args from config.json, one per line (as written by
# make-busybox-bundle.sh: a single-line JSON array).
mapfile -t args < <(sed -n 's/^ *"args": \[\(.*\)\],$/\1/p' "$bundle/config.json" |
  sed 's/", "/"\n"/g; s/^"//; s/"$//' | sed 's/^"//; s/"$//')
exec unshare --mount --pid --fork --uts --ipc bash -c '
  set -e
  rootfs=$1; shift
  mount --make-rprivate /
  mount -t tmpfs -o mode=1777 tmpfs "$rootfs/tmp"
  mount -t proc proc "$rootfs/proc"
  mount -t tmpfs -o mode=755 tmpfs "$rootfs/dev"
  for d in null zero urandom random; do
    touch "$rootfs/dev/$d"; mount --bind "/dev/$d" "$rootfs/dev/$d"
  done
  hostname sandbox
  exec chroot "$rootfs" /usr/bin/env -i PATH=/bin TEST_TMPDIR=/tmp HOME=/root "$@"
' chroot_runsc "$rootfs" "${args[@]}"
