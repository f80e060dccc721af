# Escape attempts, sourced by tests/programs/run_case.sh with this file as
# its CASES_FILE. The rootfs is busybox plus /security/escape_probe
# (escape_probe.cc; make_rootfs.sh). Each case asserts that the attempt
# failed: what the program saw is the sandbox's, never the host's.
#
# Not testable from inside the sandbox: the ptrace stub's own seccomp filter
# (a syscall not issued from the stub's code page kills the stub with
# SIGSYS). Under PTRACE_SYSEMU every application syscall stops in the tracer
# before seccomp runs, so an application cannot reach that filter; it is
# tested through the platform library in
# sentry/platform/ptrace/ptrace_platform_test.cc:
# RawSyscallOutsideStubPageIsKilled, RawSyscallAfterDetachIsKilled,
# RawInt80IsKilled, DisallowedSyscallFromStubPageIsKilled.
# shellcheck shell=bash disable=SC2034 # OUT, ERR, LAST_ID are run_case.sh's

PROBE=/security/escape_probe

# A file on the host, outside the rootfs, holding a secret.
make_host_secret() {
  HOST_SECRET_VALUE="host-secret-$$-$RANDOM"
  HOST_SECRET_PATH="$WORK/host-secret"
  echo "$HOST_SECRET_VALUE" >"$HOST_SECRET_PATH"
}

case_sec_int80_getpid() {
  # i386 getpid through `int $0x80` from a 64-bit program. It must never
  # reach the host (which would answer the stub's host pid). Linux without
  # IA32 emulation (and gVisor) kill the program with SIGSEGV; -ENOSYS, or
  # the sandbox's own pid from a real i386 getpid, would be acceptable too.
  sandbox $PROBE int80
  expect_out_match '^libc_getpid=1$'
  if [ "$STATUS" = 0 ]; then
    expect_out_match '^int80_result=(-38|1)$'
  else
    # Killed by a signal: 128 + SIGSEGV or SIGSYS; anything else (e.g. the
    # whole sandbox dying, status 1) is a failure.
    [ "$STATUS" = 139 ] || [ "$STATUS" = 159 ] ||
      fail "int \$0x80 ended the container with status $STATUS (want SIGSEGV/SIGSYS of the program)"
  fi
}

case_sec_int80_disguised() {
  # i386 mkdir(NULL) through `int $0x80`, with rcx/r11 as `syscall` leaves
  # them. Served as i386 it is -EFAULT (-14); refused, SIGSEGV or -ENOSYS.
  # Served as x86-64 syscall 39 (getpid) it would answer 1: the sentry then
  # trusts registers the program controls to pick the syscall table.
  sandbox $PROBE int80-disguised
  expect_out_match '^libc_getpid=1$'
  if [ "$STATUS" = 0 ]; then
    expect_out_match '^int80_result=(-38|-14)$'
  else
    [ "$STATUS" = 139 ] || [ "$STATUS" = 159 ] ||
      fail "int \$0x80 ended the container with status $STATUS (want SIGSEGV/SIGSYS of the program)"
  fi
}

case_sec_syscall_from_jit_page() {
  # `syscall` from a freshly mapped executable page is still the sentry's:
  # getpid answers the sandbox pid, and a host path does not open.
  make_host_secret
  sandbox $PROBE jit-syscall "$HOST_SECRET_PATH"
  expect_status 0
  expect_out "libc_getpid=1
jit_getpid=1
jit_openat=ENOENT"
}

case_sec_host_paths() {
  # A host path outside the rootfs, directly and around the root.
  make_host_secret
  sandbox $PROBE open "$HOST_SECRET_PATH"
  expect_status 0
  expect_out_no_match "$HOST_SECRET_VALUE"
  expect_out "direct=ENOENT
dotdot=ENOENT
proc_self_root=ENOENT
proc_1_root=ENOENT
proc_1_cwd=ENOENT
symlink=ENOENT"
}

case_sec_host_proc_invisible() {
  # /proc inside lists the sandbox's processes only, and none of them holds
  # the host's environment (a secret exported to runsc here).
  local marker="zz-host-env-secret-$RANDOM"
  HOST_ENV_SECRET=$marker sandbox $PROBE proc-scan "$(rev <<<"$marker")"
  expect_status 0
  expect_out "pids=1 max_pid=1 leaks=0"
  # The host's PID 1 environ is not reachable either.
  # (A glob in the shell itself: no other process is running.)
  sandbox /bin/sh -c 'cat /proc/1/comm; for p in /proc/[0-9]*; do echo $p; done'
  expect_status 0
  expect_out "sh
/proc/1"
}

case_sec_ptrace_init() {
  # PTRACE_ATTACH to PID 1 from a child: it must fail, or attach to the
  # sandbox's own PID 1 (the probe); never a host process.
  sandbox $PROBE ptrace-init
  expect_status 0
  expect_out_match '^child_exit=0$'
  if grep -q '^attach=ok' <<<"$OUT"; then
    expect_out_match '^attach=ok waitpid=1 stopped=1$'
  else
    expect_out_match '^attach=E[A-Z]+$'
  fi
}

case_sec_no_leaked_fds() {
  # The container's process starts with stdin, stdout and stderr only: no
  # descriptor of the runtime (gofer, control socket, host dirs) leaks in.
  sandbox $PROBE fds
  expect_status 0
  expect_out "open_fds=0 1 2"
}

case_sec_sentry_confined() {
  # From the host: the sandbox process (the sentry) and its stub processes
  # run under seccomp filters with no_new_privs, in their own namespaces,
  # with an empty root. (That the filters kill disallowed calls is tested
  # through the libraries: boot/sandbox_setup_test.cc FilterKills*, and the
  # stubs' in sentry/platform/ptrace/ptrace_platform_test.cc.)
  local bundle="$WORK/confined" id="confined-$$" pid stubs s
  "$REPO/scripts/write-bundle-config.sh" "$bundle" "$ROOTFS" /bin/sleep 100
  LAST_ID=$id
  "$RUNSC" --root "$WORK/state" create --bundle "$bundle" --pid-file "$WORK/pid" "$id" \
    </dev/null >"$WORK/create.out" 2>&1 || { ERR=$(cat "$WORK/create.out"); fail "create failed"; }
  "$RUNSC" --root "$WORK/state" start "$id" || fail "start failed"
  pid=$(cat "$WORK/pid")
  OUT=$(grep -E '^(Seccomp|NoNewPrivs|CapEff):' "/proc/$pid/status")
  expect_out_match '^Seccomp:[[:space:]]+2$'
  expect_out_match '^NoNewPrivs:[[:space:]]+1$'
  expect_out_match '^CapEff:[[:space:]]+0+$'
  for ns in pid mnt net ipc uts; do
    [ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] ||
      fail "the sandbox shares the host's $ns namespace"
  done
  # Its root is not the host's: an empty read-only tmpfs.
  OUT=$(ls -A "/proc/$pid/root/")
  expect_out ""
  # Every stub (a child of the sandbox process) is filtered too.
  stubs=$(cat "/proc/$pid/task/"*/children 2>/dev/null | tr ' ' '\n' | grep -c . || true)
  [ "$stubs" -ge 1 ] || fail "no stub process under the sandbox (pid $pid)"
  for s in $(cat "/proc/$pid/task/"*/children); do
    OUT=$(grep -E '^(Seccomp|NoNewPrivs):' "/proc/$s/status")
    expect_out_match '^Seccomp:[[:space:]]+2$'
  done
  "$RUNSC" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1 || true
  LAST_ID=""
}

case_sec_sandbox_survives_abuse() {
  # After the attempts above, a normal program in a fresh sandbox still
  # works (no state leaks between sandboxes).
  sandbox /bin/sh -c 'echo alive; cat /proc/self/comm'
  expect_status 0
  expect_out "alive
cat"
}
