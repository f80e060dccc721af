// What the file syscall families share: the per-task descriptor table and
// file-system context (root, cwd, umask), the sandbox's VFS, path arguments
// and I/O buffers over application memory.
//
// The kernel (sentry/kernel) knows a task's files only as ForkableResource
// pointers (CLONE_FILES / CLONE_FS share them); here Task::files is a
// FilesResource and Task::fs an FsResource. Whoever creates the first task
// (sentry/sandbox) sets both and calls SetSandboxVfs once.
//
// Locking: FsResource::mu guards root/cwd/umask; the fd table has its own
// mutex. Neither is held across VFS calls.
#ifndef SENTRY_SYSCALLS_FILE_CONTEXT_H_
#define SENTRY_SYSCALLS_FILE_CONTEXT_H_

#include <fcntl.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/fd_table.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/io.h"
#include "sentry/vfs/vfs.h"

namespace sentry::syscalls {

class FilesResource final : public kernel::ForkableResource {
 public:
  explicit FilesResource(std::unique_ptr<vfs::FdTable> t)
      : table(std::move(t)) {}
  // The process's POSIX record locks die with its table (Linux's
  // exit_files -> filp_close -> locks_remove_posix).
  ~FilesResource() override;
  std::shared_ptr<kernel::ForkableResource> Fork() override {
    return std::make_shared<FilesResource>(table->Clone());
  }
  const std::unique_ptr<vfs::FdTable> table;
};

class FsResource final : public kernel::ForkableResource {
 public:
  FsResource(vfs::VirtualDentry r, vfs::VirtualDentry c, uint32_t m)
      : root(std::move(r)), cwd(std::move(c)), umask(m) {}
  std::shared_ptr<kernel::ForkableResource> Fork() override {
    absl::MutexLock l(&mu);
    return std::make_shared<FsResource>(root, cwd, umask);
  }
  absl::Mutex mu;
  vfs::VirtualDentry root ABSL_GUARDED_BY(mu);
  vfs::VirtualDentry cwd ABSL_GUARDED_BY(mu);
  uint32_t umask ABSL_GUARDED_BY(mu);
};

// The sandbox's one VFS, used by every handler. Set once before the first
// task runs.
void SetSandboxVfs(vfs::VirtualFilesystem* vfs);
vfs::VirtualFilesystem* SandboxVfs();

// Whether `t` has a descriptor table and fs context (tasks of kernel unit
// tests may not): file syscalls fail with ENOSYS otherwise.
bool HasFiles(Task& t);
// The task's VFS context (credentials, umask, root, cwd).
vfs::Context TaskContext(Task& t);
// The table entry for a file handler: Adapt<F> behind the HasFiles check.
template <auto F>
SyscallResult FileAdapt(Task& t, const SyscallArgs& a) {
  if (!HasFiles(t)) return SyscallResult::Error(Errno{ENOSYS});
  return Adapt<F>(t, a);
}
vfs::FdTable& TaskFdTable(Task& t);
FsResource& TaskFs(Task& t);
ErrnoOr<vfs::FileRef> GetFile(Task& t, int fd);

inline constexpr size_t kMaxPath = 4096;

// A path argument (ENAMETOOLONG past PATH_MAX, EFAULT on a bad pointer).
ErrnoOr<std::string> PathArg(Task& t, UserAddr addr);
// The start of `path` relative to dirfd (AT_FDCWD or an open directory).
ErrnoOr<vfs::VirtualDentry> StartOf(Task& t, const vfs::Context& ctx, int dirfd,
                                    const std::string& path);

// Runs `op(ctx, at)` on dirfd/path; ENOENT for an empty path.
template <typename F>
auto WithPath(Task& t, int dirfd, UserAddr path_addr, F op)
    -> decltype(op(std::declval<vfs::Context&>(),
                   std::declval<vfs::PathAt>())) {
  ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, path_addr));
  if (path.empty()) return Errno{ENOENT};
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, dirfd, path));
  return op(ctx, vfs::PathAt{start, path});
}

// Runs `op(ctx, old, new)` on two dirfd/path pairs (rename, link).
ErrnoStatus WithTwoPaths(
    Task& t, int olddir, UserAddr oldp, int newdir, UserAddr newp,
    const std::function<ErrnoStatus(vfs::Context&, vfs::PathAt, vfs::PathAt)>&
        op);

// I/O buffers over application memory: a fault ends the copy short.
class UserDst final : public vfs::IoDst {
 public:
  UserDst(kernel::UserMemory& mm, uint64_t addr, size_t n)
      : mm_(mm), addr_(addr), n_(n) {}
  size_t size() const override { return n_; }
  ErrnoOr<size_t> CopyOut(size_t at, std::span<const std::byte> src) override;

 private:
  kernel::UserMemory& mm_;
  uint64_t addr_;
  size_t n_;
};

class UserSrc final : public vfs::IoSrc {
 public:
  UserSrc(kernel::UserMemory& mm, uint64_t addr, size_t n)
      : mm_(mm), addr_(addr), n_(n) {}
  size_t size() const override { return n_; }
  ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) override;

 private:
  kernel::UserMemory& mm_;
  uint64_t addr_;
  size_t n_;
};

// ioctl callers' memory access over the task's address space.
class TaskIoctlCaller : public vfs::IoctlCaller {
 public:
  explicit TaskIoctlCaller(Task& t) : t_(t) {}
  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override;
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override;

 protected:
  Task& t_;
};

// Sends SIGPIPE to `t` (a write to a pipe or socket without readers).
void SendSigpipe(Task& t);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_FILE_CONTEXT_H_
