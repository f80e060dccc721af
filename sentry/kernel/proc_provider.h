// The kernel's side of procfs (sentry/fs/procfs ProcessProvider): which
// processes exist and the per-process files /proc/<pid>/{status, stat,
// cmdline, comm, environ, maps, exe, task/<tid>/...}.
//
// The calling task is the one whose host thread makes the VFS call
// (CurrentTask(), set by Task::Run). Files are generated at open under the
// kernel mu; maps comes from the memory manager.
//
// fd/, fdinfo/, cwd, root and mounts come from the file layer through a
// TaskFilesView (the kernel knows a task's files only as opaque resources).
// Partial: fd links are plain symlinks to the file's path (Linux's magic
// links reopen the very file even when it has no path); cmdline and environ are
// the strings given at exec (a program that rewrites its argv area is not
// reflected).
#ifndef SENTRY_KERNEL_PROC_PROVIDER_H_
#define SENTRY_KERNEL_PROC_PROVIDER_H_

#include "sentry/fs/procfs/procfs.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

// The task running on this host thread, or null.
Task* CurrentTask();
void SetCurrentTask(Task* t);

// What procfs shows of a task's files, implemented by the file layer
// (sentry/syscalls). Called without the kernel mu.
class TaskFilesView {
 public:
  virtual ~TaskFilesView() = default;
  virtual std::vector<int> Fds(ForkableResource& files) = 0;
  // "/etc/passwd", "pipe:[12]", "socket:[7]", "anon_inode:[eventfd]".
  virtual ErrnoOr<std::string> FdLink(ForkableResource& files,
                                      ForkableResource* fs, int fd) = 0;
  // /proc/<pid>/fdinfo/<fd>: "pos:\t..\nflags:\t..\nmnt_id:\t..\n".
  virtual ErrnoOr<std::string> FdInfo(ForkableResource& files, int fd) = 0;
  // The cwd (root=false) or root directory of the fs context.
  virtual ErrnoOr<std::string> FsLink(ForkableResource& fs, bool root) = 0;
  // /proc/<pid>/mounts as seen from the fs context's root.
  virtual std::string Mounts(ForkableResource& fs) = 0;
  // The open file of descriptor `fd`, or an O_PATH description of the cwd
  // or root (magic links).
  virtual std::shared_ptr<vfs::FileDescription> FdFile(ForkableResource& files,
                                                       int fd) = 0;
  virtual std::shared_ptr<vfs::FileDescription> FsFile(ForkableResource& fs,
                                                       bool root) = 0;
};

class KernelProcessProvider : public fs::procfs::ProcessProvider {
 public:
  explicit KernelProcessProvider(Kernel* k,
                                 std::shared_ptr<TaskFilesView> files = nullptr)
      : k_(k), files_(std::move(files)) {}
  std::vector<int> Tgids() override;
  int CallerTgid() override;
  int CallerTid() override;
  ErrnoOr<std::vector<fs::procfs::ProcEntry>> List(
      int tgid, absl::string_view dir) override;
  ErrnoOr<std::string> Read(int tgid, absl::string_view path) override;
  ErrnoOr<std::string> ReadLink(int tgid, absl::string_view path) override;
  std::shared_ptr<vfs::FileDescription> MagicLink(
      int tgid, absl::string_view path) override;

 private:
  // The files/fs resources of `tgid`'s thread `path` names, taken under
  // the kernel mu; `rest` receives the path below the thread.
  ErrnoStatus Resources(int tgid, absl::string_view path,
                        std::shared_ptr<ForkableResource>* files,
                        std::shared_ptr<ForkableResource>* fs,
                        absl::string_view* rest);

  Kernel* k_;
  std::shared_ptr<TaskFilesView> files_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_PROC_PROVIDER_H_
