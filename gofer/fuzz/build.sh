#!/bin/sh
# Builds the libFuzzer request fuzzer with clang in its own build tree and,
# given a duration, runs it on a copy of the seed corpus.
#   gofer/fuzz/build.sh [SECONDS]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_BUILD_DIR:-$src/build-fuzz}
cmake -S "$src" -B "$out" -G Ninja -DRUNSC_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
ninja -C "$out" -j2 gofer_request_fuzzer
if [ $# -ge 1 ]; then
  corpus=$(mktemp -d /tmp/gofer_corpus.XXXXXX)
  cp "$src"/tests/gofer_corpus/* "$corpus"/
  "$out"/gofer/gofer_request_fuzzer -max_total_time="$1" -max_len=4096 \
    -print_final_stats=1 "$corpus"
fi
