// The task run loop and signal delivery at the return to user mode.
#include <sys/syscall.h>

#include <cstring>

#include "base/logging.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/kernel/sigframe.h"

namespace sentry::kernel {

namespace {

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

// Linux's force_sig_info: an ignored or blocked synchronous signal is
// unblocked and reset to the default action, so the fault kills the process.
void ForceSignalLocked(Task& t, const siginfo_t& info) {
  int sig = info.si_signo;
  KernelSigAction& act = t.tg().handlers->actions[sig];
  if (act.handler == kSigIgn || t.mask.Has(sig)) {
    act.handler = kSigDfl;
    t.mask.Remove(sig);
  }
  t.kernel().SendSignalLocked(nullptr, &t, nullptr, info);
}

// A stub of this thread group's address space was killed from outside
// (kill -9 of the host process) while the task waited in the sentry: the
// process is gone, as with SIGKILL on Linux. Called on a platform thread
// that may hold platform locks, so it only tries the kernel lock.
bool KillGroupForLostStub(Kernel* k, const std::weak_ptr<ThreadGroup>& weak)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (!k->mu()->TryLock()) return false;
  if (std::shared_ptr<ThreadGroup> tg = weak.lock()) {
    if (!tg->zombie && !tg->exiting) {
      LOG(INFO) << "thread group " << tg->tgid
                << ": a stub was killed from outside; killing the process";
      k->GroupExitLocked(*tg, KilledStatus(SIGKILL, false));
    }
  }
  k->mu()->Unlock();
  return true;
}

}  // namespace

bool Task::HandleSignals(const SyscallResult* r) {
  Kernel& k = *kernel_;
  bool handler_ran = false;
  for (;;) {
    siginfo_t info;
    KernelSigAction act;
    SigSet old_mask;
    {
      absl::MutexLock l(k.mu());
      if (killed()) return false;
      // Group stop: sleep until SIGCONT or death. A frozen container (runsc
      // pause) holds its tasks here until Thaw; SIGKILL still ends them.
      while ((tg_->stopped || k.FrozenLocked(tg_->container_id)) && !killed()) {
        k.stop_cv().Wait(k.mu());
      }
      if (killed()) return false;
      std::optional<siginfo_t> s = pending.Dequeue(mask);
      if (!s.has_value()) s = tg_->pending.Dequeue(mask);
      if (!s.has_value()) {
        // Senders interrupt under the kernel mu, so clearing here cannot
        // lose one.
        ClearInterrupt();
        // No handler ran: the mask saved by sigsuspend/ppoll/pselect6/
        // epoll_pwait is restored now (Linux's restore_saved_sigmask).
        if (!handler_ran && saved_mask.has_value()) {
          mask = *saved_mask;
          saved_mask.reset();
        }
        break;
      }
      info = *s;
      const int sig = info.si_signo;
      KernelSigAction& a = tg_->handlers->actions[sig];
      if (a.handler == kSigIgn) continue;
      if (a.handler == kSigDfl) {
        switch (DefaultActionFor(sig)) {
          case DefaultAction::kIgnore:
          case DefaultAction::kContinue:
            continue;
          case DefaultAction::kStop:
            if (tg_->IsInit()) continue;
            tg_->stopped = true;
            tg_->stop_signal = sig;
            tg_->stop_report = true;
            tg_->continue_report = false;
            k.NotifyParentLocked(*tg_, CLD_STOPPED, sig);
            continue;
          case DefaultAction::kTerminate:
            k.GroupExitLocked(*tg_, KilledStatus(sig, false));
            return false;
          case DefaultAction::kCore:
            // No core file is written; the status still says "dumped",
            // which is what shells and wait report (Linux with a core
            // limit of 0 does not set the bit; we mirror a dumping kernel).
            k.GroupExitLocked(*tg_, KilledStatus(sig, true));
            return false;
        }
      }
      act = a;
      old_mask = saved_mask.value_or(mask);
      saved_mask.reset();
      mask = mask | (SigSet(act.mask) & ~kUnblockable);
      if (!(act.flags & SA_NODEFER)) mask.Add(sig);
      if (act.flags & SA_RESETHAND) {
        a.handler = kSigDfl;
        a.flags &= ~static_cast<uint64_t>(SA_SIGINFO);
      }
    }
    // The restart decision for the interrupted syscall (only the first
    // handler sees it), Linux's handle_signal.
    if (r != nullptr && !handler_ran) {
      switch (r->restart()) {
        case RestartKind::kRestartSys:
          if (act.flags & SA_RESTART) {
            regs_.gp().rax = regs_.gp().orig_rax;
            regs_.gp().rip -= kSyscallInsnLen;
          } else {
            regs_.SetReturn(-EINTR);
          }
          break;
        case RestartKind::kRestartNoIntr:
          regs_.gp().rax = regs_.gp().orig_rax;
          regs_.gp().rip -= kSyscallInsnLen;
          break;
        case RestartKind::kRestartNoHand:
        case RestartKind::kRestartBlock:
          regs_.SetReturn(-EINTR);
          break;
        case RestartKind::kNone:
          break;
      }
    }
    handler_ran = true;
    if (!SetupSignalFrame(*mm_, regs_, altstack, act, info, old_mask).ok()) {
      absl::MutexLock l(k.mu());
      k.GroupExitLocked(*tg_, KilledStatus(SIGSEGV, true));
      return false;
    }
  }
  // No handler ran: restart transparently (Linux's
  // arch_do_signal_or_restart without a handler).
  if (r != nullptr && !handler_ran && r->restart() != RestartKind::kNone) {
    if (r->restart() == RestartKind::kRestartBlock) {
      regs_.gp().rax = __NR_restart_syscall;
    } else {
      regs_.gp().rax = regs_.gp().orig_rax;
    }
    regs_.gp().rip -= kSyscallInsnLen;
  }
  return true;
}

uint64_t Task::ScheduleCpuItimerWake() {
  Kernel& k = *kernel_;
  int64_t next;
  {
    absl::MutexLock l(k.mu());
    next = NextCpuItimerNsLocked(*tg_);
  }
  if (next == 0) return 0;
  // The callback finds the task by tid under the kernel mu: it may run after
  // this task is gone (Cancel does not wait for a running callback).
  int tid = tid_;
  return k.timers().Schedule(absl::Now() + absl::Nanoseconds(next), [&k, tid] {
    absl::MutexLock l(k.mu());
    if (Task* t = k.pidns().FindTask(tid)) t->Interrupt();
  });
}

void Task::Run() {
  Kernel& k = *kernel_;
  SetCurrentTask(this);
  if (ctx_ == nullptr) {
    ContextFactory f = k.context_factory();
    absl::StatusOr<std::unique_ptr<platform::Context>> c =
        f ? f() : absl::FailedPreconditionError("no context factory");
    if (!c.ok()) {
      LOG(ERROR) << "task " << tid_ << ": no platform context: " << c.status();
      absl::MutexLock l(k.mu());
      k.GroupExitLocked(*tg_, KilledStatus(SIGKILL, false));
    } else {
      ctx_ = std::move(*c);
    }
  }
  // Also for a context made and prepared ahead (clone's pending thread).
  if (ctx_ != nullptr) {
    ctx_->SetOnStubDeath([kp = &k, weak = std::weak_ptr<ThreadGroup>(tg_)] {
      return KillGroupForLostStub(kp, weak);
    });
  }
  {
    absl::MutexLock l(k.mu());
    ctx_for_interrupt_.store(ctx_.get());
  }
  // A signal that arrived before the context existed must still stop the
  // first Switch.
  if (interrupted() && ctx_ != nullptr) ctx_->Interrupt();
  while (!killed() && ctx_ != nullptr) {
    const bool cpu_timers = tg_->cpu_itimers_armed.load();
    TimerQueue::Id cpu_wake = 0;
    if (cpu_timers) cpu_wake = ScheduleCpuItimerWake();
    int64_t t0 = NowNs();
    running_app.store(true, std::memory_order_relaxed);
    StopReason stop = ctx_->Switch(*mm_->address_space(), regs_);
    running_app.store(false, std::memory_order_relaxed);
    int64_t t1 = NowNs();
    utime_ns += t1 - t0;
    if (cpu_timers) {
      if (cpu_wake != 0) k.timers().Cancel(cpu_wake);
      absl::MutexLock l(k.mu());
      ChargeCpuItimersLocked(k, *tg_, t1 - t0, 0);
    }
    switch (stop.kind) {
      case StopKind::kSyscall: {
        if (stop.syscall_arch != arch::SyscallArch::kAmd64) {
          // int $0x80: Linux without IA32 emulation delivers SIGSEGV.
          absl::MutexLock l(k.mu());
          ForceSignalLocked(*this, MakeSigInfo(SIGSEGV, SI_KERNEL));
          break;
        }
        SyscallResult r = k.DispatchSyscall(*this);
        if (!r.no_return()) regs_.SetReturn(r.Raw());
        int64_t sys = NowNs() - t1;
        stime_ns += sys;
        if (tg_->cpu_itimers_armed.load()) {
          absl::MutexLock l(k.mu());
          ChargeCpuItimersLocked(k, *tg_, 0, sys);
        }
        if (!HandleSignals(r.no_return() ? nullptr : &r)) goto out;
        continue;
      }
      case StopKind::kFault: {
        ErrnoStatus s =
            mm_->HandleFault(UserAddr(stop.fault_addr), stop.access);
        if (s.ok()) break;
        int err = ToInt(s.error());
        LOG(DEBUG) << "task " << tid_ << ": unresolved fault at 0x" << std::hex
                   << stop.fault_addr << " ip 0x" << regs_.gp().rip << std::dec
                   << " (" << ErrnoName(s.error()).data() << ")";
        siginfo_t info =
            err == EIO ? MakeSigInfo(SIGBUS, BUS_ADRERR)
                       : MakeSigInfo(SIGSEGV,
                                     err == EACCES ? SEGV_ACCERR : SEGV_MAPERR);
        info.si_addr = reinterpret_cast<void*>(stop.fault_addr);
        absl::MutexLock l(k.mu());
        ForceSignalLocked(*this, info);
        break;
      }
      case StopKind::kSignal: {
        LOG(DEBUG) << "task " << tid_ << ": signal " << stop.signo
                   << " at ip 0x" << std::hex << regs_.gp().rip;
        siginfo_t info = stop.info;
        info.si_signo = stop.signo;
        absl::MutexLock l(k.mu());
        ForceSignalLocked(*this, info);
        break;
      }
      case StopKind::kDied: {
        // The stub was killed from outside: the task cannot continue.
        absl::MutexLock l(k.mu());
        k.GroupExitLocked(*tg_, KilledStatus(SIGKILL, false));
        goto out;
      }
      case StopKind::kInterrupted:
        break;
    }
    if (!HandleSignals(nullptr)) break;
  }
out:
  int status;
  {
    absl::MutexLock l(k.mu());
    status = tg_->exiting ? tg_->exit_status
                          : exit_request.value_or(KilledStatus(SIGKILL, false));
  }
  ExitThread(status);
  {
    absl::MutexLock l(k.mu());
    ctx_for_interrupt_.store(nullptr);
  }
  ctx_.reset();  // platform contexts are released on their own thread
}

}  // namespace sentry::kernel
