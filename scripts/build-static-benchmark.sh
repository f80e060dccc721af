#!/usr/bin/env bash
# Builds a static libbenchmark.a from Debian's own source package, cached:
#   scripts/build-static-benchmark.sh      prints the library's path
# Debian ships Google Benchmark only as a shared library, and a benchmark
# that must run in a bare busybox bundle (and, before file-backed mmap works
# in our sentry, at all in our sandbox) has to be static. The source is the
# same version as the installed libbenchmark-dev, fetched with apt-get
# source from the Debian mirror apt already uses (a private deb-src list, so
# the system's apt configuration is untouched), and built once into
#   ${XDG_CACHE_HOME:-~/.cache}/runsc/benchmark-<version>/libbenchmark.a
# The headers stay Debian's (/usr/include/benchmark), which match.
set -euo pipefail
debversion=$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || true)
version=${debversion%-*}
[ -n "$version" ] || { echo "build-static-benchmark: libbenchmark-dev is not installed (scripts/setup.sh)" >&2; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/runsc/benchmark-$version
lib="$cache/libbenchmark.a"
if [ -s "$lib" ]; then
  echo "$lib"
  exit 0
fi
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
work=$(mktemp -d "${TMPDIR:-/tmp}/benchmark-src.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"
echo "deb-src $mirror $suite main" >"$work/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
echo "build-static-benchmark: fetching benchmark $version source (once)" >&2
apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; exit 1; }
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only "benchmark=$debversion" >>"$work/apt.log" 2>&1) ||
  { cat "$work/apt.log" >&2; exit 1; }
tar -C "$work" -xzf "$work"/benchmark_"$version".orig.tar.gz
src="$work/benchmark-$version"
[ -f "$src/CMakeLists.txt" ] || { echo "build-static-benchmark: no source in $work" >&2; exit 1; }
echo "build-static-benchmark: building a static library" >&2
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DBENCHMARK_ENABLE_TESTING=OFF \
  -DBENCHMARK_ENABLE_GTEST_TESTS=OFF -DBENCHMARK_ENABLE_WERROR=OFF \
  -DBENCHMARK_ENABLE_INSTALL=OFF -DBENCHMARK_ENABLE_LTO=OFF >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; exit 1; }
ninja -C "$work/build" -j2 benchmark >"$work/ninja.log" 2>&1 ||
  { tail -30 "$work/ninja.log" >&2; exit 1; }
mkdir -p "$cache"
cp "$work/build/src/libbenchmark.a" "$lib.tmp"
mv -f "$lib.tmp" "$lib"
echo "$lib"
