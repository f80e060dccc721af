// The glue between the kernel's tasks and the VFS: per-task descriptor
// tables and file-system contexts (root, cwd, umask), descriptors backed by
// host descriptors (the root container's stdio), the loader's file opener
// over the VFS, and the file-related system calls.
//
// The kernel (sentry/kernel) knows tasks only through ForkableResource
// pointers; here Task::files is a FilesResource and Task::fs an FsResource.
// File syscalls are served by DispatchFileSyscall before the kernel's table
// (sentry/syscalls) sees the call: it returns nullopt for numbers it does not
// serve. Everything here matches Linux's errno choices where the VFS does;
// known gaps: poll/select/epoll, sockets, flock/fcntl record locks (accepted
// and ignored), ioctl (ENOTTY for everything: no ttys in the sentry yet).
//
// Locking: FsResource::mu guards root/cwd/umask; the fd table has its own
// mutex. Neither is held across VFS calls.
#ifndef SENTRY_SANDBOX_FILES_H_
#define SENTRY_SANDBOX_FILES_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/vfs/fd_table.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

class FilesResource final : public kernel::ForkableResource {
 public:
  explicit FilesResource(std::unique_ptr<vfs::FdTable> t)
      : table(std::move(t)) {}
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

// The task's VFS context (credentials, umask, root, cwd).
vfs::Context TaskContext(kernel::Task& t);
vfs::FdTable& TaskFdTable(kernel::Task& t);

// A description over a host descriptor (not owned beyond `fd`'s lifetime:
// the description holds it). For the root container's stdio.
ErrnoOr<vfs::FileRef> NewHostFdFile(vfs::VirtualFilesystem* vfs,
                                    base::UniqueFd fd);

// Opens executables through the VFS with ctx (exec permission checked).
class VfsFileOpener final : public loader::FileOpener {
 public:
  VfsFileOpener(vfs::VirtualFilesystem* vfs, vfs::Context ctx)
      : vfs_(vfs), ctx_(std::move(ctx)) {}
  ErrnoOr<std::unique_ptr<loader::File>> Open(const std::string& path) override;

 private:
  vfs::VirtualFilesystem* vfs_;
  vfs::Context ctx_;
};

// Serves the syscall stop of `t` if it is a file syscall; nullopt otherwise.
std::optional<kernel::SyscallResult> DispatchFileSyscall(kernel::Task& t);

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_FILES_H_
