#!/usr/bin/env bash
# Runs the system call benchmarks (bench/syscall_bench.cc) natively and under
# each runtime in one run, and prints a table of times and ratios to native:
#   scripts/bench-compare.sh [BUILD_DIR]        (default: build)
# Runtimes: native, runc, crun, Debian's gVisor runsc (/usr/bin/runsc,
# --platform=ptrace, its own --root) and ours (BUILD_DIR/runsc). Missing
# peers are skipped with a note. The same static binary runs everywhere, from
# one busybox bundle. Then a startup benchmark (hyperfine): `run` of
# /bin/true, which creates, starts, waits for and deletes the container
# (ratios to runc there: native has no container to start).
#
# Environment:
#   RUNTIMES        space-separated subset (default: native runc crun gvisor ours)
#   BENCH_MIN_TIME  seconds per benchmark and repetition (default 0.2)
#   BENCH_ROUNDS    rounds; each round runs every runtime once, in turn, so
#                   that the machine's load drifts evenly over all of them;
#                   the table shows the median over rounds (default 3)
#   BENCH_FILTER    --benchmark_filter regex (default: all)
#   STARTUP_RUNS    hyperfine runs per runtime (default 20; 0 skips startup)
#   OUT_DIR         keep the raw JSON here (default: a temporary directory)
#   OURS_RUNSC      our runsc binary (default BUILD_DIR/runsc)
# Figures only: noisy machines make single runs vary; compare ratios taken
# in the same run. Wall-clock (real) time is reported: a sandbox's work
# happens in other processes, which the benchmark's CPU time does not see.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
runtimes=${RUNTIMES:-native runc crun gvisor ours}
min_time=${BENCH_MIN_TIME:-0.2}
rounds=${BENCH_ROUNDS:-3}
filter=${BENCH_FILTER:-.}
startup_runs=${STARTUP_RUNS:-20}

bench="$build/bench/syscall_bench"
helper="$build/bench/syscall_bench_exec_helper"
ours=${OURS_RUNSC:-$build/runsc}
gvisor=${GVISOR_RUNSC:-/usr/bin/runsc}

# The benchmark must be static to run in a bare busybox bundle.
if [ ! -x "$bench" ] || ! file -L "$bench" | grep -q 'statically linked'; then
  lib=$("$here/build-static-benchmark.sh")
  cmake -S "$repo" -B "$build" -DRUNSC_BENCHMARK_STATIC_LIB="$lib" >/dev/null
  ninja -C "$build" -j2 syscall_bench syscall_bench_exec_helper >/dev/null
fi
file -L "$bench" | grep -q 'statically linked' ||
  { echo "bench-compare: $bench is not static" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
out=${OUT_DIR:-$work/out}
mkdir -p "$out"
declare -a cleanups=()
cleanup() {
  local c
  for c in "${cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

bundle="$work/bundle"
"$here/make-busybox-bundle.sh" "$bundle" >/dev/null
mkdir -p "$bundle/rootfs/bench"
install -m 0755 "$bench" "$helper" "$bundle/rootfs/bench/"
rootfs="$bundle/rootfs"

bench_args=(--benchmark_format=json --benchmark_min_time="$min_time"
  --benchmark_filter="$filter")

# runtime_cmd NAME: the command line (an array in $cmd) that runs the
# container given by $bundle as $id, or nothing when the runtime is missing.
runtime_cmd() {
  cmd=()
  case "$1" in
    runc) command -v runc >/dev/null && cmd=(runc --root "$work/state-runc") ;;
    crun) command -v crun >/dev/null && cmd=(crun --root "$work/state-crun") ;;
    gvisor)
      [ -x "$gvisor" ] && cmd=("$gvisor" --root "$work/state-gvisor" --platform=ptrace --network=none)
      ;;
    ours) [ -x "$ours" ] && cmd=("$ours" --root "$work/state-ours") ;;
  esac
  [ ${#cmd[@]} -gt 0 ]
}

# Which runtimes are there; crun refuses hybrid cgroup hierarchies whose v2
# part has controllers, so each one is tried once with /bin/true first.
present=()
for rt in $runtimes; do
  if [ "$rt" = native ]; then present+=(native); continue; fi
  if ! runtime_cmd "$rt"; then
    echo "bench-compare: $rt is not installed; skipped" >&2
    continue
  fi
  b="$work/bundle-probe-$rt"
  "$here/write-bundle-config.sh" "$b" "$rootfs" /bin/true
  if "${cmd[@]}" run --bundle "$b" "probe-$rt-$$" >"$out/$rt.probe" 2>&1 </dev/null; then
    present+=("$rt")
  else
    echo "bench-compare: $rt cannot run a container here; skipped: $(tail -1 "$out/$rt.probe")" >&2
    "${cmd[@]}" delete --force "probe-$rt-$$" >/dev/null 2>&1 || true
  fi
done

for round in $(seq 1 "$rounds"); do
  for rt in "${present[@]}"; do
    echo "bench-compare: round $round/$rounds: $rt ..." >&2
    res="$out/$rt.$round.json"
    if [ "$rt" = native ]; then
      "$bench" "${bench_args[@]}" >"$res" 2>"$out/$rt.$round.err" ||
        echo "bench-compare: native run failed (see $out/$rt.$round.err)" >&2
      continue
    fi
    runtime_cmd "$rt"
    b="$work/bundle-$rt"
    "$here/write-bundle-config.sh" "$b" "$rootfs" /bench/syscall_bench "${bench_args[@]}"
    id="bench-$rt-$$-$round"
    cleanups+=("$(printf '%q ' "${cmd[@]}") delete --force $id")
    "${cmd[@]}" run --bundle "$b" "$id" >"$res" 2>"$out/$rt.$round.err" </dev/null ||
      echo "bench-compare: $rt failed with status $? (see $out/$rt.$round.err; complete entries kept)" >&2
  done
done

python3 "$here/bench_table.py" "$out" "$rounds" "${present[@]}"

if [ "$startup_runs" -gt 0 ] && command -v hyperfine >/dev/null; then
  echo >&2
  echo "bench-compare: startup (hyperfine, $startup_runs runs each) ..." >&2
  hf=()
  for rt in "${present[@]}"; do
    [ "$rt" = native ] && continue
    runtime_cmd "$rt" || continue
    b="$work/bundle-true-$rt"
    "$here/write-bundle-config.sh" "$b" "$rootfs" /bin/true
    id="startup-$rt-$$"
    # `run` deletes the container when it exits (all four runtimes); the
    # delete after it only matters if a run failed.
    hf+=(-n "$rt" "$(printf '%q ' "${cmd[@]}") run --bundle $b $id </dev/null; $(printf '%q ' "${cmd[@]}") delete --force $id 2>/dev/null; true")
  done
  # Through a shell (hyperfine subtracts the shell's own start-up).
  hyperfine --warmup 2 --runs "$startup_runs" --export-json "$out/startup.json" "${hf[@]}" \
    >"$out/startup.txt" 2>&1 || { cat "$out/startup.txt" >&2; exit 1; }
  python3 - "$out/startup.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = next((r["median"] for r in res if r["command"] == "runc"), None)
print()
print("| runtime | startup median | mean ± σ | × runc |")
print("|---|---|---|---|")
for r in res:
    ratio = "" if not base else "%.1f×" % (r["median"] / base)
    print("| %s | %.1f ms | %.1f ± %.1f ms | %s |" % (
        r["command"], r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3, ratio))
PY
fi
echo >&2
echo "bench-compare: raw results in $out$([ -z "${OUT_DIR:-}" ] && echo ' (deleted on exit; set OUT_DIR to keep)')" >&2
