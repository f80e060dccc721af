#!/usr/bin/env bash
# Makes the security tests' rootfs: busybox plus the escape probe.
#   tests/security/make_rootfs.sh DIR PROBE
set -euo pipefail
dir=${1:?usage: make_rootfs.sh DIR PROBE}
probe=${2:?usage: make_rootfs.sh DIR PROBE}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$repo/scripts/make-busybox-bundle.sh" "$dir" >/dev/null
install -D -m 0755 "$probe" "$dir/rootfs/security/escape_probe"
