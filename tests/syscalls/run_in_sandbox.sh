#!/usr/bin/env bash
# Runs one static syscall test binary inside the sandbox:
#   tests/syscalls/run_in_sandbox.sh RUNSC BINARY [gtest args...]
# Makes a busybox bundle (scripts/make-busybox-bundle.sh), copies BINARY and
# the helpers beside it (syscalls_*_helper) into rootfs/tests/, and runs
#   RUNSC [$RUNSC_FLAGS] --root <tmp> run --bundle <bundle> <id>
# exiting with the container's status. The bundle's process runs as root with
# the capabilities a root test expects natively (so the privilege tests run
# rather than skip), TEST_TMPDIR=/tmp (a tmpfs in the bundle).
# KEEP_BUNDLE=1 leaves the temporary directory in place for debugging.
set -euo pipefail
runsc=${1:?usage: run_in_sandbox.sh RUNSC BINARY [gtest args...]}
binary=${2:?usage: run_in_sandbox.sh RUNSC BINARY [gtest args...]}
shift 2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
name=$(basename "$binary")
work=$(mktemp -d "${TMPDIR:-/tmp}/syscalls-sandbox.XXXXXX")
id="syscalls-${name}-$$"
# The sandbox outlives a killed front end (as runc's containers do), so a
# timed-out or interrupted run must delete its container explicitly.
cleanup() {
  "$runsc" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  [ "${KEEP_BUNDLE:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

bundle="$work/bundle"
"$repo/scripts/make-busybox-bundle.sh" "$bundle" "/tests/$name" "$@" >/dev/null
mkdir -p "$bundle/rootfs/tests"
install -m 0755 "$binary" "$bundle/rootfs/tests/$name"
for helper in "$(dirname "$binary")"/syscalls_*_helper; do
  [ -x "$helper" ] && install -m 0755 "$helper" "$bundle/rootfs/tests/"
done
# nobody (65534) is the one other user the tests use.
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >> "$bundle/rootfs/etc/passwd"
echo "nogroup:x:65534:" >> "$bundle/rootfs/etc/group"

caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE", "CAP_SYS_NICE", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"'
sed -i \
  -e "s/\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"/$caps/" \
  -e 's|"TERM=xterm"|"TERM=xterm", "TEST_TMPDIR=/tmp"|' \
  "$bundle/config.json"

status=0
# shellcheck disable=SC2086 # RUNSC_FLAGS is a list of flags.
"$runsc" ${RUNSC_FLAGS:-} --root "$work/state" run --bundle "$bundle" "$id" || status=$?
exit "$status"
