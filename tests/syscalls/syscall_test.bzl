"""syscall_test: one statically linked gtest binary per syscall family."""

# Every family of tests/syscalls/CMakeLists.txt, in its order.
FAMILIES = [
    "read_write",
    "open",
    "stat",
    "mmap",
    "brk",
    "fork_clone",
    "exec",
    "wait",
    "signals",
    "futex",
    "pipe",
    "poll_epoll",
    "dup_fcntl",
    "getdents",
    "link_unlink_rename",
    "chdir",
    "chmod_chown",
    "uid_gid",
    "time",
    "rlimits",
    "prctl",
    "uname",
    "proc",
    "eventfd",
    "unix_sockets",
    "inotify",
    "signalfd",
    "memfd",
    "sendfile_splice",
    "inet",
    "misc",
    "tty",
]

# The tests run as real root on the host kernel (CMake's native run): they
# switch to uid 65534, chown, raise hard rlimits and make namespaces.
# linux-sandbox puts them in a user namespace that maps only root, where all
# of that fails (EINVAL/EPERM), so they run unsandboxed.
SYSCALL_TEST_TAGS = ["no-sandbox"]

def syscall_test(family, data = [], **kwargs):
    """cc_test syscalls_<family>_test from <family>_test.cc, linked -static."""
    native.cc_test(
        name = "syscalls_%s_test" % family,
        srcs = ["%s_test.cc" % family],
        data = data,
        linkopts = ["-static"],
        linkstatic = 1,
        tags = SYSCALL_TEST_TAGS,
        deps = [
            ":syscall_test_util",
            "//third_party:gtest_main",
        ],
        **kwargs
    )
