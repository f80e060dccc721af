#!/usr/bin/env bash
# Writes an OCI config.json into a bundle directory:
#   scripts/write-bundle-config.sh BUNDLE ROOTFS [ARGS...]
# ROOTFS is the root path as config.json names it (relative to BUNDLE, or
# absolute so that many bundles share one read-only rootfs). The process runs
# as root with the default capabilities of runc's `spec`, the mounts and
# namespaces of make-busybox-bundle.sh, and a read-only root (our runtime's
# default overlay keeps writes in the sandbox).
# Environment: BUNDLE_ENV (extra "K=V" entries, one per line),
#   BUNDLE_CAPS (a JSON list of capability names to use instead),
#   BUNDLE_CWD (default /).
set -euo pipefail
bundle=${1:?usage: write-bundle-config.sh BUNDLE ROOTFS [ARGS...]}
rootfs=${2:?usage: write-bundle-config.sh BUNDLE ROOTFS [ARGS...]}
shift 2
[ $# -gt 0 ] || set -- /bin/sh

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
json_list() {
  local out="" a
  for a in "$@"; do out="$out${out:+, }$(json_string "$a")"; done
  printf '[%s]' "$out"
}

env_list=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "HOME=/root" "TERM=xterm" "LANG=C.UTF-8")
if [ -n "${BUNDLE_ENV:-}" ]; then
  while IFS= read -r line; do
    [ -n "$line" ] && env_list+=("$line")
  done <<<"$BUNDLE_ENV"
fi
caps=${BUNDLE_CAPS:-'["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'}

mkdir -p "$bundle"
cat >"$bundle/config.json" <<JSON
{
  "ociVersion": "1.1.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": $(json_list "$@"),
    "env": $(json_list "${env_list[@]}"),
    "cwd": $(json_string "${BUNDLE_CWD:-/}"),
    "capabilities": {"bounding": $caps, "effective": $caps, "permitted": $caps},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": $(json_string "$rootfs"), "readonly": true},
  "hostname": "sandbox",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON
