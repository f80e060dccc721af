#!/usr/bin/env bash
# Makes an OCI bundle whose rootfs is Debian bookworm (debootstrap, cached):
#   scripts/make-debian-bundle.sh DIR [ARGS...]
# DIR/rootfs comes from scripts/make-debian-rootfs.sh; DIR/config.json (as
# scripts/write-bundle-config.sh writes it) runs ARGS (default: bash -c with
# a short report of where it runs).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: make-debian-bundle.sh DIR [ARGS...]}
shift
"$here/make-debian-rootfs.sh" "$dir/rootfs" >/dev/null
if [ $# -eq 0 ]; then
  # shellcheck disable=SC2016 # expanded inside the container
  set -- /bin/bash -c 'echo "hello from Debian $(cat /etc/debian_version): pid $$, kernel $(uname -r)"'
fi
"$here/write-bundle-config.sh" "$dir" rootfs "$@"
echo "bundle ready: $dir"
