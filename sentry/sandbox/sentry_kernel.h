// SentryKernel: the implementation behind NewSandboxKernel
// (sandbox_kernel.h), shared by sandbox_kernel.cc (the sandbox, the root
// container, requests common to every container) and subcontainers.cc
// (containers that join the sandbox: docs/multi-container.md). Internal to
// sentry/sandbox.
//
// Containers: one Container record per container of the sandbox, the root
// container's made at boot. Every process carries its container's id
// (kernel::ThreadGroup::container_id, inherited by fork), so control
// requests naming a container (signal, ps, events, wait, exec) act on that
// container's processes only. All containers share the sentry kernel: one
// PID namespace (a subcontainer's init is not PID 1), one network stack,
// IPC, hostname and memory file; each has its own mount tree, stdio and
// init.
//
// Lock order: mu_ -> kernel::Kernel::mu() -> VFS locks. Blocking waits
// (init exit, process exit) happen with mu_ released.
#ifndef SENTRY_SANDBOX_SENTRY_KERNEL_H_
#define SENTRY_SANDBOX_SENTRY_KERNEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boot/boot.h"
#include "boot/gofer_watch.h"
#include "boot/kernel.h"
#include "nlohmann/json.hpp"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/memory_file.h"
#include "sentry/platform/platform.h"
#include "sentry/sandbox/console.h"
#include "sentry/sandbox/process_spec.h"
#include "sentry/sandbox/sandbox_kernel.h"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

namespace control = ::runsc::control;

struct Container {
  // Immutable after creation.
  std::string id;
  nlohmann::json spec;
  bool is_root = false;
  vfs::VirtualDentry root;  // its mount tree's root

  // Guarded by SentryKernel::mu_.
  std::vector<vfs::FileRef> stdio;
  // process.terminal: the host terminal (replica of the host pty whose
  // master went to the console socket), given as the container's stdio.
  base::UniqueFd host_console;
  std::vector<std::unique_ptr<Console>> consoles;
  bool started = false;
  // A StartRoot is in progress: a concurrent one is refused at once.
  bool starting = false;
  bool removed = false;  // DestroySubcontainer
  int32_t init_pid = 0;  // sandbox PID of its init once started
  // A subcontainer's gofer connections (the root container's are watched by
  // boot): a dead gofer kills the container's processes. Reset (joined)
  // before the mount tree that owns the connections is released.
  std::unique_ptr<boot::GoferWatch> gofer_watch;
};

// FailedPrecondition for a StartRoot that repeats or races another.
absl::Status AlreadyStarted();

class SentryKernel final : public boot::SandboxKernel {
 public:
  SentryKernel(std::string id, nlohmann::json spec, const SandboxOptions& opts)
      : id_(std::move(id)), spec_(std::move(spec)), opts_(opts) {}
  ~SentryKernel() override;

  absl::Status Init(boot::KernelArgs& args);

  absl::Status StartRoot(const control::StartRootRequest& req,
                         base::UniqueFd console) override;
  absl::StatusOr<int32_t> Exec(const control::ExecRequest& req,
                               std::vector<base::UniqueFd> fds) override;
  absl::Status Signal(const control::SignalRequest& req) override;
  absl::StatusOr<int> Wait(const std::string& container_id) override;
  absl::StatusOr<int> WaitPid(const std::string& container_id,
                              int32_t pid) override;
  absl::StatusOr<std::vector<control::ProcessInfo>> Processes(
      const std::string& container_id) override;
  absl::Status Pause(const std::string& container_id) override;
  absl::Status Resume(const std::string& container_id) override;
  absl::StatusOr<control::ContainerStats> Event(
      const std::string& container_id) override;
  absl::Status Checkpoint(const std::string&, base::UniqueFd) override {
    return absl::UnimplementedError("checkpoint: not implemented yet");
  }
  absl::Status Restore(const std::string&, base::UniqueFd) override {
    return absl::UnimplementedError("restore: not implemented yet");
  }
  absl::Status Destroy() override;

  // subcontainers.cc
  absl::Status StageSubcontainerFds(const control::SubcontainerFdsRequest& req,
                                    std::vector<base::UniqueFd> fds) override;
  absl::Status CreateSubcontainer(const control::CreateSubcontainerRequest& req,
                                  std::vector<base::UniqueFd> fds) override;
  absl::Status DestroySubcontainer(const std::string& container_id) override;

 private:
  absl::Status RegisterFilesystems();
  // NotFound unless `id` names a container of this sandbox ("" is the
  // root container, for requests that carry no id).
  absl::StatusOr<std::shared_ptr<Container>> FindContainer(
      const std::string& id);
  absl::StatusOr<std::string> FindExecutable(const vfs::Context& ctx,
                                             const ProcessSpec& ps);
  // Loads ps's program in container c and creates its task: PID 1 when
  // `init` (the root container's init), else a parentless process in its
  // own session (exec, or a subcontainer's init when `container_init`).
  // `stdio[i]` becomes fd i. Returns the new task, not yet started.
  absl::StatusOr<kernel::Task*> NewProcess(
      const Container& c, const ProcessSpec& ps,
      const std::vector<vfs::FileRef>& stdio, bool init, bool container_init);
  // A container init's terminal (process.terminal): the console bridged to
  // `host`, whose replica replaces `stdio`; nullptr without a terminal.
  absl::StatusOr<std::unique_ptr<Console>> InitTerminal(
      const Container& c, const ProcessSpec& ps, base::UniqueFd host,
      std::vector<vfs::FileRef>& stdio);
  // The request's startContainer hooks, in order, each waited for, in
  // container c; after its init exists, before it runs.
  absl::Status RunStartContainerHooks(const Container& c,
                                      const control::StartRootRequest& req,
                                      const std::vector<vfs::FileRef>& stdio);
  // Whether container c's init still runs (not exited, not a zombie).
  bool InitAlive(const Container& c);
  // subcontainers.cc: StartRoot and Wait of a subcontainer.
  absl::Status StartSubcontainer(const std::shared_ptr<Container>& c,
                                 const control::StartRootRequest& req,
                                 base::UniqueFd console);
  absl::StatusOr<int> WaitSubcontainer(const std::shared_ptr<Container>& c);

  const std::string id_;
  const nlohmann::json spec_;
  const SandboxOptions opts_;
  std::unique_ptr<mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<vfs::VirtualFilesystem> vfs_;
  std::unique_ptr<kernel::Kernel> kernel_;
  const absl::Time boot_time_ = absl::Now();
  std::shared_ptr<Container> root_;  // immutable after Init

  absl::Mutex mu_;
  // Containers paused (runsc pause).
  absl::flat_hash_set<std::string> paused_ ABSL_GUARDED_BY(mu_);
  bool destroyed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Container>> containers_
      ABSL_GUARDED_BY(mu_);
  // SubcontainerFds: descriptors waiting for their CreateSubcontainer.
  std::map<std::string, std::vector<base::UniqueFd>> staged_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_SENTRY_KERNEL_H_
