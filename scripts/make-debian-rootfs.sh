#!/usr/bin/env bash
# Makes a Debian bookworm root filesystem with debootstrap, cached:
#   scripts/make-debian-rootfs.sh DIR
# DIR gets the rootfs (bash, coreutils, python3, perl, procps and what
# debootstrap's minbase brings). The first run builds a tarball under
#   ${XDG_CACHE_HOME:-~/.cache}/runsc/debian-<suite>-<hash>.tar
# keyed by the suite, mirror and package list; later runs (and CI) only
# unpack it. Needs root (debootstrap chroots) and debootstrap
# (scripts/setup.sh).
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
#   DEBIAN_SUITE (bookworm), DEBIAN_EXTRA_PACKAGES (added to the list),
#   REFRESH=1 rebuilds the cached tarball.
# Exits 77 (ctest's skip code, see tests/programs) when there is no cached
# tarball and it cannot be built here (no debootstrap, not root).
set -euo pipefail
dir=${1:?usage: make-debian-rootfs.sh DIR}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages="bash,coreutils,python3,perl,procps,findutils,grep,sed,gawk"
if [ -n "${DEBIAN_EXTRA_PACKAGES:-}" ]; then
  packages="$packages,${DEBIAN_EXTRA_PACKAGES}"
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/runsc
key=$(printf '%s\n' "$suite" "$mirror" "$packages" "v1" | sha256sum | cut -c1-16)
tarball="$cache/debian-$suite-$key.tar"

if [ ! -s "$tarball" ] || [ "${REFRESH:-0}" = 1 ]; then
  command -v debootstrap >/dev/null ||
    { echo "make-debian-rootfs: debootstrap is not installed (scripts/setup.sh)" >&2; exit 77; }
  [ "$(id -u)" = 0 ] || { echo "make-debian-rootfs: debootstrap needs root" >&2; exit 77; }
  mkdir -p "$cache"
  # Build beside the cache so that the final rename is atomic: two CI jobs
  # racing both build, the last rename wins, and neither sees a partial tar.
  work=$(mktemp -d "$cache/debootstrap.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "make-debian-rootfs: debootstrap $suite ($packages), once; cached as $tarball" >&2
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log" >&2; echo "make-debian-rootfs: debootstrap failed" >&2; exit 1; }
  # Shrink: package caches and lists are not needed to run programs.
  rm -rf "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/*
  tar -C "$work/root" --numeric-owner -cf "$work/rootfs.tar" .
  mv -f "$work/rootfs.tar" "$tarball"
  rm -rf "$work"
  trap - EXIT
fi

# A stamp naming the tarball lets a second call on the same DIR skip the
# unpacking (ctest fixtures call this before every run).
stamp="$dir/.runsc-rootfs"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(basename "$tarball")" ] && [ "$tarball" -ot "$stamp" ]; then
  echo "rootfs ready: $dir (already unpacked)"
  exit 0
fi
mkdir -p "$dir"
tar -C "$dir" --numeric-owner -xf "$tarball"
basename "$tarball" >"$stamp"
echo "rootfs ready: $dir (from $tarball)"
