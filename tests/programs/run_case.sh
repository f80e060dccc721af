#!/usr/bin/env bash
# Runs one program test case (cases.sh) in the sandbox through the real
# binary:
#   tests/programs/run_case.sh RUNSC ROOTFS CASE [CASES_FILE]
# ROOTFS is an unpacked root filesystem shared read-only by every case (the
# ctest fixtures make them: busybox and Debian). CASES_FILE defaults to
# cases.sh beside this script (tests/security has its own). Each case calls `sandbox
# ARGS...` one or more times and asserts on $OUT (stdout), $ERR (stderr) and
# $STATUS. A failed assertion prints what was expected, what came out and the
# path of a debug log with --strace for the last run, and exits 1.
# RUNSC may also be runc or crun: the cases then run on the host kernel,
# which checks that their expectations are Linux's.
# Environment: RUNSC_FLAGS (extra global flags), KEEP_WORK=1 keeps the
# temporary directory (bundles, state, logs).
set -euo pipefail
RUNSC=${1:?usage: run_case.sh RUNSC ROOTFS CASE}
ROOTFS=${2:?usage: run_case.sh RUNSC ROOTFS CASE}
CASE=${3:?usage: run_case.sh RUNSC ROOTFS CASE}
CASES_FILE=${4:-$(dirname "${BASH_SOURCE[0]}")/cases.sh}
CASES_FILE=$(cd "$(dirname "$CASES_FILE")" && pwd)/$(basename "$CASES_FILE")
case "$RUNSC" in
  */*) RUNSC=$(cd "$(dirname "$RUNSC")" && pwd)/$(basename "$RUNSC") ;;
  *) RUNSC=$(command -v "$RUNSC") ;;
esac
ROOTFS=$(cd "$ROOTFS" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/programs-$CASE.XXXXXX")
RUNS=0
LAST_ID=""
cleanup() {
  if [ -n "$LAST_ID" ]; then
    "$RUNSC" --root "$WORK/state" delete --force "$LAST_ID" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "run_case: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# sandbox ARGS...: runs ARGS as the container's process. Sets OUT, ERR
# (stdout and stderr, trailing newlines stripped) and STATUS. Input comes
# from $STDIN when set. BUNDLE_ENV adds environment entries.
sandbox() {
  RUNS=$((RUNS + 1))
  local bundle="$WORK/bundle$RUNS" id="prog-$CASE-$$-$RUNS"
  "$REPO/scripts/write-bundle-config.sh" "$bundle" "$ROOTFS" "$@"
  local trace=()
  LAST_LOG=""
  case "$(basename "$RUNSC")" in
    runc | crun) ;;
    *)
      LAST_LOG="$WORK/debug$RUNS.log"
      trace=(--debug-log "$LAST_LOG" --strace)
      ;;
  esac
  LAST_ID=$id
  printf '%s' "${STDIN:-}" >"$WORK/in$RUNS"
  STATUS=0
  # shellcheck disable=SC2086 # RUNSC_FLAGS is a list of flags.
  timeout --kill-after=10 "${CASE_TIMEOUT:-120}" \
    "$RUNSC" ${RUNSC_FLAGS:-} --root "$WORK/state" "${trace[@]}" \
    run --bundle "$bundle" "$id" \
    <"$WORK/in$RUNS" >"$WORK/out$RUNS" 2>"$WORK/err$RUNS" || STATUS=$?
  "$RUNSC" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1 || true
  LAST_ID=""
  OUT=$(cat "$WORK/out$RUNS")
  ERR=$(cat "$WORK/err$RUNS")
}

fail() {
  echo "FAIL [$CASE]: $*" >&2
  echo "--- status: ${STATUS:-?}" >&2
  echo "--- stdout:" >&2
  printf '%s\n' "${OUT:-}" | head -50 >&2
  echo "--- stderr:" >&2
  printf '%s\n' "${ERR:-}" | head -50 >&2
  if [ -n "${LAST_LOG:-}" ] && [ -f "$LAST_LOG" ]; then
    echo "--- last lines of the debug log ($LAST_LOG; KEEP_WORK=1 keeps it):" >&2
    grep -v '^$' "$LAST_LOG" | tail -25 >&2 || true
    echo "--- unimplemented or failed syscalls in the debug log:" >&2
    grep -iE 'unimplemented|ENOSYS|not implemented' "$LAST_LOG" | sort | uniq -c | head -20 >&2 || true
  fi
  exit 1
}
expect_status() { [ "$STATUS" = "$1" ] || fail "exit status $STATUS, want $1"; }
expect_out() {
  [ "$OUT" = "$1" ] || fail "stdout differs; want:
$1"
}
expect_out_match() {
  grep -Eq -- "$1" <<<"$OUT" || fail "stdout does not match /$1/"
}
expect_out_no_match() {
  if grep -Eq -- "$1" <<<"$OUT"; then fail "stdout matches /$1/ and must not"; fi
}
expect_err_match() {
  grep -Eq -- "$1" <<<"$ERR" || fail "stderr does not match /$1/"
}

# shellcheck disable=SC1090,SC1091 # the cases file is an argument
source "$CASES_FILE"
if ! declare -F "case_$CASE" >/dev/null; then
  echo "run_case: no case named $CASE in $CASES_FILE" >&2
  exit 2
fi
"case_$CASE"
echo "PASS [$CASE] ($RUNS sandbox runs)"
