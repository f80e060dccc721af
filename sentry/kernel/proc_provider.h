// The kernel's side of procfs (sentry/fs/procfs ProcessProvider): which
// processes exist and the per-process files /proc/<pid>/{status, stat,
// cmdline, comm, environ, maps, exe, task/<tid>/...}.
//
// The calling task is the one whose host thread makes the VFS call
// (CurrentTask(), set by Task::Run). Files are generated at open under the
// kernel mu; maps comes from the memory manager.
//
// Partial: fd/, cwd and root need the fd table and fs context (VFS wiring);
// cmdline and environ are the strings given at exec (a program that rewrites
// its argv area is not reflected).
#ifndef SENTRY_KERNEL_PROC_PROVIDER_H_
#define SENTRY_KERNEL_PROC_PROVIDER_H_

#include "sentry/fs/procfs/procfs.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

// The task running on this host thread, or null.
Task* CurrentTask();
void SetCurrentTask(Task* t);

class KernelProcessProvider : public fs::procfs::ProcessProvider {
 public:
  explicit KernelProcessProvider(Kernel* k) : k_(k) {}
  std::vector<int> Tgids() override;
  int CallerTgid() override;
  int CallerTid() override;
  ErrnoOr<std::vector<fs::procfs::ProcEntry>> List(
      int tgid, absl::string_view dir) override;
  ErrnoOr<std::string> Read(int tgid, absl::string_view path) override;
  ErrnoOr<std::string> ReadLink(int tgid, absl::string_view path) override;

 private:
  Kernel* k_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_PROC_PROVIDER_H_
