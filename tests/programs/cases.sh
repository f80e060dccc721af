# Program test cases, sourced by run_case.sh. One function per case:
# case_NAME runs programs with `sandbox ARGS...` and asserts on OUT, ERR and
# STATUS. Cases named bb_* need the busybox rootfs, deb_* the Debian one
# (CMakeLists.txt registers each with its fixture). Every case checks output,
# not only an exit status.
# shellcheck shell=bash

# The release string the sentry reports (KernelConfig::release), read from
# its source so that the expectation follows the sentry, never the host.
sentry_release() {
  sed -n 's/.*std::string release = "\([^"]*\)".*/\1/p' \
    "$REPO/sentry/kernel/kernel.h" | head -1
}

# ---- busybox ---------------------------------------------------------------

case_bb_pipeline() {
  sandbox /bin/sh -c \
    "printf 'pear\napple\nfig\napple\n' | sort | uniq -c | sort -rn | head -1 | tr -s ' ' | sed 's/^ //';
     echo hello world | tr a-z A-Z | rev;
     seq 1 100 | awk '{s+=\$1} END {print s}'"
  expect_status 0
  expect_out "2 apple
DLROW OLLEH
5050"
}

case_bb_fork_exec_loop() {
  # 200 fork+exec of /bin/true and 100 command substitutions (fork only).
  sandbox /bin/sh -c \
    'i=0; while [ $i -lt 200 ]; do /bin/true || exit 9; i=$((i+1)); done
     n=0; for j in $(seq 1 100); do n=$((n + $(echo 1))); done
     echo "execs=$i substs=$n"'
  expect_status 0
  expect_out "execs=200 substs=100"
}

case_bb_exit_status() {
  # runsc run exits with the program's status.
  sandbox /bin/sh -c 'echo before; exit 42'
  expect_status 42
  expect_out "before"
  sandbox /bin/false
  expect_status 1
  expect_out ""
}

case_bb_signal_wait_status() {
  # A child killed by a signal: the shell sees 128+signal. (The init shell
  # itself ignores signals from inside its namespace, as on Linux. Not
  # SIGINT for the background job: non-interactive shells make background
  # jobs ignore it.)
  sandbox /bin/sh -c \
    "sh -c 'kill -9 \$\$'; echo kill9=\$?
     sh -c 'kill -TERM \$\$'; echo term=\$?
     sleep 100 & p=\$!; kill -HUP \$p; wait \$p; echo hup=\$?
     sh -c 'exit 3'; echo exit3=\$?
     trap 'echo trapped USR1' USR1; kill -USR1 \$\$; echo after-trap"
  expect_status 0
  expect_out "kill9=137
term=143
hup=129
exit3=3
trapped USR1
after-trap"
}

case_bb_killed_init_status() {
  # The container's process killed by a signal it does not ignore, sent by a
  # child: with no handler, PID 1 ignores it (Linux semantics); the shell's
  # own `exit` after it then decides the status.
  sandbox /bin/sh -c 'kill -TERM $$; echo still-here; exit 5'
  expect_status 5
  expect_out "still-here"
}

case_bb_killed_from_outside() {
  # `run` exits 128+signal when the container's process is killed from
  # outside: SIGKILL from the parent namespace is forced on PID 1. (Other
  # signals without a handler are ignored by a namespace's init, so they
  # make no portable case.)
  local sig want bundle id i
  for sig in KILL; do
    want=137
    bundle="$WORK/outside-$sig" id="outside-$sig-$$"
    "$REPO/scripts/write-bundle-config.sh" "$bundle" "$ROOTFS" /bin/sh -c 'echo started; exec sleep 100'
    LAST_ID=$id
    "$RUNSC" --root "$WORK/state" run --bundle "$bundle" "$id" </dev/null >"$WORK/outside.out" 2>&1 &
    local runpid=$!
    # Wait until the program has printed (it runs), then signal it.
    for i in $(seq 1 600); do
      grep -q started "$WORK/outside.out" && break
      sleep 0.1
    done
    "$RUNSC" --root "$WORK/state" kill "$id" "$sig" || fail "kill $sig failed"
    STATUS=0
    wait "$runpid" || STATUS=$?
    OUT=$(cat "$WORK/outside.out")
    expect_out "started"
    expect_status "$want"
    "$RUNSC" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1 || true
    LAST_ID=""
  done
}

case_bb_pid_is_1() {
  # `; true` keeps the inner sh a child (ash execs a last simple command).
  sandbox /bin/sh -c 'echo $$; echo ppid=$PPID; sh -c "echo child-ppid=\$PPID"; true'
  expect_status 0
  expect_out "1
ppid=0
child-ppid=1"
}

case_bb_uname_is_sentry() {
  local want host
  want=$(sentry_release)
  host=$(uname -r)
  [ -n "$want" ] || fail "could not read the sentry's release from sentry/kernel/kernel.h"
  sandbox /bin/sh -c 'uname -r; uname -s; uname -n; uname -m'
  expect_status 0
  expect_out "$want
Linux
sandbox
x86_64"
  if [ "$want" != "$host" ]; then
    expect_out_no_match "^${host//./\\.}\$"
  fi
}

case_bb_proc_lists_sandbox_only() {
  # With one background child, /proc has exactly PID 1 (sh) and the child;
  # the host's processes (this driver, its parents) are not there. Pids
  # other than 1 are shown as "N" (runtimes allocate them differently).
  sandbox /bin/sh -c \
    'sleep 100 & s=$!
     while [ "$(cat /proc/$s/comm)" != sleep ]; do :; done
     for p in /proc/[0-9]*; do
       n=${p#/proc/}; [ "$n" = "$s" ] && n=CHILD; echo "$n $(cat $p/comm)"
     done
     kill $s; wait $s 2>/dev/null; true'
  expect_status 0
  expect_out "1 sh
CHILD sleep"
  # ps writes to a file: in a pipeline its peers would be listed too.
  sandbox /bin/sh -c \
    'ps -o pid,comm >/tmp/ps; awk "{ if (\$1 != 1 && NR > 1) \$1 = \"N\"; print \$1, \$2 }" /tmp/ps'
  expect_status 0
  expect_out "PID COMMAND
1 sh
N ps"
}

case_bb_proc_self() {
  # A child's own /proc/self: its pid, environment and command line.
  BUNDLE_ENV="MARKER=sandbox-env" sandbox /bin/sh -c \
    'readlink /proc/self | grep -qvx 1 && echo self-not-1; cat /proc/self/environ | tr "\0" "\n" | grep MARKER;
     cat /proc/self/cmdline | tr "\0" " "; echo;
     sleep 100 & p=$!
     while [ "$(cat /proc/$p/comm)" != sleep ]; do :; done
     tr "\0" " " </proc/$p/cmdline; echo; kill $p'
  expect_status 0
  expect_out "self-not-1
MARKER=sandbox-env
cat /proc/self/cmdline 
sleep 100 "
}

case_bb_proc_init_cmdline() {
  # PID 1's environment and command line as another process reads them.
  BUNDLE_ENV="MARKER=sandbox-env" sandbox /bin/sh -c \
    'tr "\0" "\n" </proc/1/environ | grep MARKER; tr "\0" " " </proc/1/cmdline; echo'
  expect_status 0
  expect_out "MARKER=sandbox-env
/bin/sh -c tr \"\\0\" \"\\n\" </proc/1/environ | grep MARKER; tr \"\\0\" \" \" </proc/1/cmdline; echo "
}

case_bb_files() {
  # Writes land in the sandbox (tmpfs and the overlay root), reads see them.
  sandbox /bin/sh -c \
    'cd /tmp && echo abc > f && cat f f > g && wc -c < g && ln -s g l && cat l | head -1
     mkdir -p d/e && touch d/e/x && find d | sort | tr "\n" " "; echo
     mv g h && ls /tmp | tr "\n" " "; echo
     if echo x > /etc/new; then echo root-writable; else echo root-read-only; fi'
  expect_status 0
  expect_out "8
abc
d d/e d/e/x 
d f h l 
root-read-only"
  # config.json says "readonly": true for the root, as runc enforces it.
  expect_err_match "can't create /etc/new: Read-only file system"
}

case_bb_heredoc_and_redirects() {
  STDIN=$'line one\nline two\n' sandbox /bin/sh -c \
    'cat > /tmp/in; wc -l < /tmp/in; cat <<EOF | sed "s/x/y/"
x marks
EOF
    echo to-stderr >&2; exec 3>/tmp/fd3; echo via-3 >&3; exec 3>&-; cat /tmp/fd3'
  expect_status 0
  expect_out "2
y marks
via-3"
  expect_err_match '^to-stderr$'
}

case_bb_archive_roundtrip() {
  # tar + gzip through pipes, checksums before and after.
  sandbox /bin/sh -c \
    'cd /tmp && mkdir -p src/sub && seq 1 5000 > src/numbers && echo hi > src/sub/hi
     tar cf - src | gzip -c > a.tgz && mkdir out && gzip -dc a.tgz | tar xf - -C out
     (cd src && find . -type f | sort | xargs md5sum) > before
     (cd out/src && find . -type f | sort | xargs md5sum) > after
     cmp before after && echo identical; wc -l < out/src/numbers; cat out/src/sub/hi'
  expect_status 0
  expect_out "identical
5000
hi"
}

case_bb_parallel_children() {
  # Eight background jobs at once, each with its own exit status.
  sandbox /bin/sh -c \
    'for i in 1 2 3 4 5 6 7 8; do (sleep 0.0$i; exit $i) & eval p$i=$!; done
     s=0; for i in 1 2 3 4 5 6 7 8; do eval wait \$p$i; s=$((s + $?)); done; echo sum=$s
     set -- /proc/[0-9]*; echo $# $1'
  expect_status 0
  # 1+...+8 = 36; afterwards every child is reaped: /proc lists PID 1 only.
  # (The shell expands the glob itself: a `find | wc` pipeline raced with
  # the fork of wc.)
  expect_out "sum=36
1 /proc/1"
}

case_bb_devices() {
  sandbox /bin/sh -c \
    'head -c 4096 /dev/zero | tr -d "\0" | wc -c
     head -c 64 /dev/urandom | wc -c
     echo gone > /dev/null; wc -c < /dev/null
     dd if=/dev/zero of=/tmp/z bs=1024 count=16 2>/dev/null; wc -c < /tmp/z'
  expect_status 0
  expect_out "0
64
0
16384"
}

# ---- Debian ----------------------------------------------------------------

case_deb_bash_script() {
  sandbox /bin/bash -c \
    'set -euo pipefail
     declare -A colour=([apple]=red [banana]=yellow)
     arr=(3 1 2); sorted=$(printf "%s\n" "${arr[@]}" | sort -n | tr "\n" ,)
     f() { local x=$1; echo $((x * x)); }
     echo "bash ${BASH_VERSINFO[0]} ${colour[banana]} $sorted $(f 12)"
     mapfile -t lines < <(seq 3); echo "${#lines[@]} ${lines[2]}"
     [[ "abc123" =~ ^([a-z]+)([0-9]+)$ ]] && echo "${BASH_REMATCH[2]}"
     echo $$'
  expect_status 0
  expect_out "bash 5 yellow 1,2,3, 144
3 3
123
1"
}

case_deb_bash_process_substitution() {
  sandbox /bin/bash -c 'diff <(printf "a\nb\n") <(printf "a\nc\n"); echo status=$?'
  expect_status 0
  expect_out "2c2
< b
---
> c
status=1"
}

case_deb_coreutils() {
  sandbox /bin/bash -c \
    'cat /etc/debian_version | cut -d. -f1
     printf abc | sha256sum | cut -d" " -f1
     seq 1 1000 | sort -rn | head -3 | paste -sd" "
     date -u -d @86400 +%F
     cd /tmp && printf "%05d" 7 > f && stat -c "%s %F" f && cp f g && cmp f g && echo same
     ls -l /tmp/f | cut -c1-10
     id -u; id -un; nproc | grep -Eq "^[0-9]+$" && echo nproc-ok
     basename /a/b/c.txt .txt; dirname /a/b/c.txt; expr 6 \* 7'
  expect_status 0
  expect_out "12
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
1000 999 998
1970-01-02
5 regular file
same
-rw-r--r--
0
root
nproc-ok
c
/a/b
42"
}

case_deb_python3_basics() {
  sandbox /usr/bin/python3 -c '
import json, hashlib, sys, os
d = {"b": [1, 2, {"c": None}], "a": "é"}
s = json.dumps(d, sort_keys=True)
print(s)
print(json.loads(s) == d)
print(hashlib.sha256(b"abc").hexdigest())
print(hashlib.md5(b"").hexdigest())
print(sys.version_info[:2] >= (3, 11), os.getpid())
'
  expect_status 0
  expect_out '{"a": "\u00e9", "b": [1, 2, {"c": null}]}
True
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
d41d8cd98f00b204e9800998ecf8427e
True 1'
}

case_deb_python3_threads() {
  sandbox /usr/bin/python3 -c '
import threading, queue
q = queue.Queue()
lock = threading.Lock()
total = [0]
def work(n):
    for i in range(1000):
        with lock:
            total[0] += 1
    q.put(n * n)
ts = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(total[0], sorted(q.get() for _ in range(8)))
e = threading.Event()
threading.Timer(0.05, e.set).start()
print(e.wait(10))
'
  expect_status 0
  expect_out "8000 [0, 1, 4, 9, 16, 25, 36, 49]
True"
}

case_deb_python3_subprocess() {
  sandbox /usr/bin/python3 -c '
import subprocess, sys
print(subprocess.check_output(["echo", "from child"], text=True).strip())
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True, text=True)
print(r.returncode, r.stdout.strip(), r.stderr.strip())
p = subprocess.run(["cat"], input="piped\n", stdout=subprocess.PIPE, text=True)
print(p.stdout.strip())
r = subprocess.run(["sh", "-c", "kill -9 $$"])
print(r.returncode)
'
  expect_status 0
  expect_out "from child
3 out err
piped
-9"
}

case_deb_python3_tempfile() {
  sandbox /usr/bin/python3 -c '
import tempfile, os
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "x")
    with open(p, "w") as f:
        f.write("hello\n" * 3)
    print(os.path.getsize(p), sorted(os.listdir(d)))
    with tempfile.NamedTemporaryFile(dir=d, delete=False) as f:
        f.write(b"data")
        name = f.name
    print(open(name, "rb").read())
print(os.path.exists(d))
with tempfile.TemporaryFile() as f:
    f.write(b"anon"); f.seek(0); print(f.read())
'
  expect_status 0
  expect_out "18 ['x']
b'data'
False
b'anon'"
}

case_deb_perl() {
  sandbox /usr/bin/perl -e '
use strict; use warnings; use Digest::MD5 qw(md5_hex); use POSIX qw(floor);
my %h = (one => 1, two => 2, three => 3);
print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
my $s = "The quick brown fox"; (my $t = $s) =~ s/(\w+)/\u\L$1/g; print "$t\n";
print md5_hex("abc"), " ", floor(7.9), "\n";
my $pid = fork(); if ($pid == 0) { exit 7 } waitpid($pid, 0); print $? >> 8, "\n";
print `echo backtick`;
'
  expect_status 0
  expect_out "one=1,three=3,two=2
The Quick Brown Fox
900150983cd24fb0d6963f7d28e17f72 7
7
backtick"
}

case_deb_ps() {
  # procps reads /proc: only the sandbox's processes. Pids other than 1 show
  # as N; ps writes to a file so that no pipeline peers are listed.
  sandbox /bin/bash -c \
    'sleep 100 & while [ "$(cat /proc/$!/comm)" != sleep ]; do :; done
     ps -eo pid,ppid,comm --no-headers >/tmp/ps
     awk "{ if (\$1 != 1) \$1 = \"N\"; print \$1, \$2, \$3 }" /tmp/ps; kill %1'
  expect_status 0
  expect_out "1 0 bash
N 1 sleep
N 1 ps"
}
