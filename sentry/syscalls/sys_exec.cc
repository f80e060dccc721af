// execve(2) and execveat(2).
#include <fcntl.h>
#include <sys/syscall.h>

#include "sentry/kernel/exec.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_locks.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

constexpr size_t kPathMax = 4096;

// Copies a NULL-terminated array of string pointers (argv/envp).
ErrnoOr<std::vector<std::string>> CopyInStrings(Task& t, UserAddr array) {
  std::vector<std::string> out;
  if (array.IsNull()) return out;  // Linux accepts NULL as empty
  size_t total = 0;
  for (uint64_t i = 0;; ++i) {
    if (i >= kernel::kMaxArgCount) return Errno{E2BIG};
    auto p = UserPtr<uint64_t>(array).At(i);
    if (!p) return Errno{EFAULT};
    ASSIGN_OR_RETURN_ERRNO(uint64_t s, t.mm().CopyInObj(*p));
    if (s == 0) break;
    auto str = t.mm().CopyInString(UserAddr(s), kernel::kMaxArgStrlen);
    if (!str.ok()) {
      return Errno{ToInt(str.error()) == ENAMETOOLONG ? E2BIG
                                                      : ToInt(str.error())};
    }
    total += str->size() + 1;
    if (total > (size_t{1} << 30)) return Errno{E2BIG};
    out.push_back(std::move(*str));
  }
  return out;
}

SyscallResult DoExec(Task& t, UserAddr path, UserAddr argv, UserAddr envp) {
  auto filename = t.mm().CopyInString(path, kPathMax);
  if (!filename.ok()) return SyscallResult::Error(filename.error());
  if (filename->empty()) return SyscallResult::Error(Errno{ENOENT});
  auto a = CopyInStrings(t, argv);
  if (!a.ok()) return SyscallResult::Error(a.error());
  auto e = CopyInStrings(t, envp);
  if (!e.ok()) return SyscallResult::Error(e.error());
  kernel::ExecEnv env = t.kernel().exec_env();
  auto s = kernel::Exec(t, env, *filename, std::move(*a), std::move(*e));
  if (!s.ok()) return SyscallResult::Error(s.error());
  if (HasFiles(t)) {
    // Past the point of no return: close the O_CLOEXEC descriptors (their
    // record locks go with them, as on Linux).
    for (const vfs::FileRef& f : TaskFdTable(t).CloseOnExec()) {
      if (f) ReleaseProcessLocks(t, *f);
    }
  }
  return SyscallResult::NoReturn();
}

// Execve implements execve(2). Partial: see sentry/kernel/exec.h.
SyscallResult Execve(Task& t, UserAddr path, UserAddr argv, UserAddr envp) {
  return DoExec(t, path, argv, envp);
}

// Execveat implements execveat(2). Partial: only AT_FDCWD or absolute paths
// until the VFS provides descriptor-relative lookup.
SyscallResult Execveat(Task& t, int dirfd, UserAddr path, UserAddr argv,
                       UserAddr envp, int flags) {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if (dirfd != AT_FDCWD) {
    auto p = t.mm().CopyInString(path, kPathMax);
    if (!p.ok()) return SyscallResult::Error(p.error());
    if (p->empty() || (*p)[0] != '/') {
      return SyscallResult::Error(Errno{ENOSYS});
    }
  }
  return DoExec(t, path, argv, envp);
}

}  // namespace

void RegisterExecSyscalls(SyscallTable& tab) {
  tab.Set(__NR_execve, Adapt<&Execve>, Support::kPartial,
          "no setuid bits; non-leader exec keeps its tid");
  tab.Set(__NR_execveat, Adapt<&Execveat>, Support::kPartial,
          "AT_FDCWD or absolute paths only");
}

}  // namespace sentry::syscalls
