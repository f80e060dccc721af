#include "sentry/kernel/exec.h"

#include "base/errors.h"
#include "sentry/auth/capabilities.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

ErrnoStatus Exec(Task& t, const ExecEnv& env, const std::string& filename,
                 std::vector<std::string> argv, std::vector<std::string> envp) {
  if (!env.new_mm || !env.opener) return Errno{ENOEXEC};
  Kernel& k = t.kernel();
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<UserMemory> mm, env.new_mm());
  if (mm->memory_manager() == nullptr) return Errno{ENOMEM};

  loader::LoadArgs la;
  la.filename = filename;
  la.argv = std::move(argv);
  la.envp = std::move(envp);
  CredentialsRef c = t.creds();
  la.uid = c->real_uid;
  la.euid = c->effective_uid;
  la.gid = c->real_gid;
  la.egid = c->effective_gid;
  {
    absl::MutexLock l(k.mu());
    rlim_t stack = t.tg().rlimits[RLIMIT_STACK].rlim_cur;
    la.stack_limit = stack == RLIM_INFINITY ? (uint64_t{1} << 32) : stack;
  }
  // Linux: the strings may use a quarter of the stack limit (E2BIG).
  size_t total = 0;
  for (const auto* v : {&la.argv, &la.envp}) {
    for (const std::string& s : *v) total += s.size() + 1 + sizeof(uint64_t);
  }
  if (total > std::max<uint64_t>(la.stack_limit / 4, 128 * 1024)) {
    return Errno{E2BIG};
  }
  std::unique_ptr<loader::FileOpener> opener = env.opener(t);
  absl::StatusOr<loader::LoadResult> lr =
      loader::Load(*mm->memory_manager(), *opener, la);
  if (!lr.ok()) return StatusToErrno(lr.status());

  // The first Switch into the new image needs this thread's stub there:
  // made now, so that a host refusal (a pids cgroup limit) is EAGAIN, as
  // Linux's execve under RLIMIT_NPROC, not a kill after the point of no
  // return.
  if (t.context() != nullptr && mm->address_space() != nullptr) {
    RETURN_IF_ERRNO(t.context()->Prepare(*mm->address_space()));
  }

  // --- point of no return ---
  {
    absl::MutexLock l(k.mu());
    // Kill the other threads (Linux's de_thread) and wait until they left.
    for (Task* other : t.tg().tasks) {
      if (other != &t) {
        other->set_killed();
        other->Interrupt();
      }
    }
    auto alone = [&t]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return t.tg().tasks.size() == 1 || t.killed();
    };
    k.mu()->Await(absl::Condition(&alone));
    if (t.killed()) return Errno{EINTR};  // a group exit won the race
    // Caught handlers revert to the default; ignored ones stay ignored.
    if (t.tg().handlers.use_count() > 1) {
      t.tg().handlers = std::make_shared<SignalHandlers>(*t.tg().handlers);
    }
    for (KernelSigAction& a : t.tg().handlers->actions) {
      if (a.handler != kSigIgn) a = KernelSigAction{};
    }
    for (auto& [id, timer] : t.tg().posix_timers) timer->DisarmLocked();
    t.tg().posix_timers.clear();
    t.exec_done = true;  // releases a vfork parent
    t.tg().argv = lr->argv;
    t.tg().envp = la.envp;
    t.tg().exe = filename;
  }
  // No file capabilities or set-id files: only the root/ambient rules apply.
  t.set_creds(auth::ExecCredentials(*c));
  ExitRobustList(t);
  t.robust_list = UserAddr();
  t.clear_child_tid = UserAddr();
  t.restart_fn = nullptr;
  t.altstack = {nullptr, SS_DISABLE, 0};
  t.set_mm(std::move(mm));
  t.regs().ResetForExec(lr->entry, lr->stack);
  std::string base = filename.substr(filename.rfind('/') + 1);
  t.set_name(base);
  return OkErrno();
}

}  // namespace sentry::kernel
