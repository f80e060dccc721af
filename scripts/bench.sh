#!/usr/bin/env bash
# Runs the micro-benchmarks (Google Benchmark) of a build tree:
#   scripts/bench.sh [BUILD_DIR]
# Figures only, never pass/fail. These machines are noisy: compare ratios
# taken in the same run, and prefer the CPU-time columns.
set -euo pipefail
build=${1:-build}
reps=${BENCH_REPETITIONS:-5}
ran=0
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
  ran=$((ran + 1))
done
if [ "$ran" -eq 0 ]; then
  echo "bench.sh: no benchmarks in $build/bench (run make build first)" >&2
  exit 1
fi
# The side-by-side comparison of whole runtimes (native, runc, crun, Debian's
# gVisor runsc, ours) on syscall_bench is scripts/bench-compare.sh.
