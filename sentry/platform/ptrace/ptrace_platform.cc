#include "sentry/platform/ptrace/ptrace_platform.h"

#include <elf.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/errors.h"
#include "base/logging.h"
#include "sentry/platform/ptrace/stub.h"

namespace sentry::platform::ptrace {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kRseqSig = 0x53053053;  // glibc's RSEQ_SIG on x86
constexpr int kInterruptSignal = SIGCHLD;
constexpr uint64_t kVsyscallPage = 0xffffffffff600000ull;
constexpr int kSysSeccomp = 1;  // SIGSYS si_code for seccomp (SYS_SECCOMP)
constexpr long kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;

// The calling thread's id, cached: Switch asks on every call.
pid_t Gettid() {
  thread_local pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  return tid;
}

// A per-thread key that is never reused (unlike tids): stubs are looked up by
// it, so a new thread that happens to get a dead thread's tid never finds
// that thread's (dead) stub.
uint64_t CallerKey() {
  static std::atomic<uint64_t> next{1};
  thread_local uint64_t key = next.fetch_add(1);
  return key;
}

// waitpid for one traced stub; retries EINTR.
int WaitPid(pid_t pid, int* status) {
  for (;;) {
    int r = waitpid(pid, status, __WALL);
    if (r >= 0 || errno != EINTR) return r;
  }
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  int status;
  // Reap whatever stop/exit reports remain until the process is gone.
  while (WaitPid(pid, &status) == pid) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
  }
}

// The size the host kernel uses for NT_X86_XSTATE (learned on first use).
std::atomic<size_t> g_xstate_len{0};

// One stub process traced by one sentry thread.
struct StubThread {
  pid_t pid = -1;
  pid_t tracer = -1;
  user_regs_struct initial{};  // template for injected syscalls
  int cpu = -1;
  // The FP state currently in the stub was loaded from / saved to this
  // Registers at this generation; if unchanged, no SETREGSET is needed.
  const arch::Registers* fp_regs = nullptr;
  uint64_t fp_generation = ~uint64_t{0};
  bool broken = false;  // died or lost: every operation fails
  // The context driving this stub asks to hear when it dies from outside
  // (Context::SetOnStubDeath); `death_reported` once the notice was taken.
  std::shared_ptr<std::function<bool()>> on_death;
  bool death_reported = false;
};

// The watch period for stubs killed from outside while their task waits in
// the sentry (a stub that dies during Switch is seen at once by its tracer).
constexpr absl::Duration kStubWatchPeriod = absl::Milliseconds(100);

// True if `pid` (a stub: our child or tracee) has exited. Does not reap it:
// its tracer still collects the status.
bool StubExited(pid_t pid) {
  if (pid <= 0) return false;
  siginfo_t si{};
  if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) {
    return errno == ECHILD;  // already reaped: gone
  }
  // A tracee's ptrace-stops are reported even without WSTOPPED (CLD_TRAPPED
  // with the stop signal): only an exit counts.
  return si.si_pid == pid &&
         (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
          si.si_code == CLD_DUMPED);
}

// Waits for a fresh stub's first stop: the main stub's SIGSTOP
// (signal-delivery-stop; it is traced from its first instruction) or a
// cloned stub's PTRACE_INTERRUPT trap. Resuming later with signal 0
// discards the SIGSTOP.
absl::Status WaitInitialStop(StubThread* t) {
  for (;;) {
    int status;
    if (WaitPid(t->pid, &status) < 0)
      return base::ErrnoStatus(errno, "waitpid stub");
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      t->broken = true;
      return absl::InternalError(
          absl::StrCat("stub exited during setup, status ", status));
    }
    if (WIFSTOPPED(status)) break;
  }
  if (::ptrace(PTRACE_GETREGS, t->pid, 0, &t->initial) != 0) {
    return base::ErrnoStatus(errno, "PTRACE_GETREGS stub");
  }
  if (g_xstate_len.load() == 0) {
    arch::FpState probe;
    iovec iov{probe.mutable_data(), probe.size()};
    if (::ptrace(PTRACE_GETREGSET, t->pid, NT_X86_XSTATE, &iov) != 0) {
      return base::ErrnoStatus(errno, "PTRACE_GETREGSET NT_X86_XSTATE");
    }
    g_xstate_len.store(iov.iov_len);
  }
  return absl::OkStatus();
}

// Runs one syscall in a stopped stub from the stub page. Returns the raw
// result (negative errno on failure) or -EFAULT if the stub misbehaved.
long Inject(StubThread* t, uint64_t site, long nr, uint64_t a0 = 0,
            uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
            uint64_t a5 = 0) {
  if (t->broken) return -EFAULT;
  user_regs_struct r = t->initial;
  r.rip = site;
  r.rax = static_cast<uint64_t>(nr);
  r.orig_rax = static_cast<uint64_t>(-1);
  r.rdi = a0;
  r.rsi = a1;
  r.rdx = a2;
  r.r10 = a3;
  r.r8 = a4;
  r.r9 = a5;
  if (::ptrace(PTRACE_SETREGS, t->pid, 0, &r) != 0) return -EFAULT;
  if (::ptrace(PTRACE_CONT, t->pid, 0, 0) != 0) return -EFAULT;
  for (;;) {
    int status;
    if (WaitPid(t->pid, &status) < 0) {
      t->broken = true;
      return -EFAULT;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      t->broken = true;
      return -EFAULT;
    }
    if (!WIFSTOPPED(status)) continue;
    if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0) break;
    // A stale interrupt (kInterruptSignal) or job-control stop: suppress it.
    if (::ptrace(PTRACE_CONT, t->pid, 0, 0) != 0) return -EFAULT;
  }
  if (::ptrace(PTRACE_GETREGS, t->pid, 0, &r) != 0) return -EFAULT;
  return static_cast<long>(r.rax);
}

// One address space: the stub processes that share an mm.
class Subprocess : public std::enable_shared_from_this<Subprocess> {
 public:
  explicit Subprocess(const StubPage* page) : page_(page) {}
  ~Subprocess() { Release(); }

  // Starts the owner thread and the first stub. A refused thread (EAGAIN
  // under a pids cgroup limit) is an error, not an abort.
  absl::Status Start() {
    try {
      owner_ = std::thread([this] { OwnerLoop(); });
    } catch (const std::system_error& e) {
      return base::ErrnoStatus(e.code().value(), "stub owner thread");
    }
    absl::MutexLock l(&owner_mu_);
    owner_mu_.Await(absl::Condition(
        +[](bool* b) { return *b; }, &owner_started_));
    return owner_status_;
  }

  // The calling thread's stub, created on first use. `on_death` (optional)
  // is kept with a new stub (see StubThread::on_death).
  StubThread* ForCaller(
      const std::shared_ptr<std::function<bool()>>& on_death = nullptr) {
    const pid_t tid = Gettid();
    const uint64_t key = CallerKey();
    std::unique_ptr<StubThread> dead;
    {
      absl::MutexLock l(&mu_);
      if (released_) return nullptr;
      auto it = stubs_.find(key);
      if (it != stubs_.end()) {
        if (!it->second->broken) {
          // Made earlier for an address-space operation of this thread.
          if (on_death != nullptr) it->second->on_death = on_death;
          return it->second.get();
        }
        // Killed from outside: replace it.
        dead = std::move(it->second);
        stubs_.erase(it);
      }
    }
    if (dead != nullptr && dead->pid > 0) KillAndReap(dead->pid);
    pid_t pid = RequestClone();
    if (pid <= 0) return nullptr;
    auto t = std::make_unique<StubThread>();
    t->pid = pid;
    t->tracer = tid;
    t->on_death = on_death;
    if (::ptrace(PTRACE_SEIZE, pid, 0, kSeizeOptions) != 0 ||
        ::ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) {
      LOG(ERROR) << "PTRACE_SEIZE stub " << pid << ": " << strerror(errno);
      KillAndReap(pid);
      return nullptr;
    }
    absl::Status s = WaitInitialStop(t.get());
    if (!s.ok()) {
      LOG(ERROR) << "stub setup: " << s.ToString();
      KillAndReap(pid);
      return nullptr;
    }
    absl::MutexLock l(&mu_);
    StubThread* raw = t.get();
    stubs_[key] = std::move(t);
    return raw;
  }

  // Gives the calling thread's stub (if any) the death notice.
  void SetOnDeathForCaller(
      const std::shared_ptr<std::function<bool()>>& on_death) {
    absl::MutexLock l(&mu_);
    auto it = stubs_.find(CallerKey());
    if (it != stubs_.end()) it->second->on_death = on_death;
  }

  // Kills and reaps the calling thread's stub (its tracer is leaving).
  void DropCaller() {
    std::unique_ptr<StubThread> t;
    {
      absl::MutexLock l(&mu_);
      auto it = stubs_.find(CallerKey());
      if (it == stubs_.end()) return;
      t = std::move(it->second);
      stubs_.erase(it);
    }
    KillAndReap(t->pid);
  }

  bool released() const {
    return released_flag_.load(std::memory_order_acquire);
  }

  void Release() {
    std::vector<std::unique_ptr<StubThread>> stubs;
    {
      absl::MutexLock l(&mu_);
      if (released_) return;
      released_ = true;
      released_flag_.store(true, std::memory_order_release);
      for (auto& [tid, t] : stubs_) stubs.push_back(std::move(t));
      stubs_.clear();
    }
    for (auto& t : stubs) KillAndReap(t->pid);
    {
      absl::MutexLock l(&owner_mu_);
      owner_exit_ = true;
    }
    if (owner_.joinable()) owner_.join();
  }

  const StubPage& page() const { return *page_; }

 private:
  // Asks the owner thread to clone a new stub; returns its pid or -errno.
  pid_t RequestClone() {
    absl::MutexLock l(&owner_mu_);
    if (owner_exit_) return -ESRCH;
    uint64_t ticket = ++requested_;
    std::pair<Subprocess*, uint64_t> arg(this, ticket);
    owner_mu_.Await(absl::Condition(
        +[](std::pair<Subprocess*, uint64_t>* p) {
          p->first->owner_mu_.AssertHeld();
          return p->first->served_ >= p->second || p->first->owner_exit_;
        },
        &arg));
    if (served_ < ticket) return -ESRCH;
    return clone_results_[ticket];
  }

  void OwnerLoop() {
    absl::Status s = ForkMainStub();
    {
      absl::MutexLock l(&owner_mu_);
      owner_status_ = s;
      owner_started_ = true;
      if (!s.ok()) owner_exit_ = true;
    }
    if (!s.ok()) return;
    for (;;) {
      uint64_t ticket;
      {
        absl::MutexLock l(&owner_mu_);
        bool woken = owner_mu_.AwaitWithTimeout(
            absl::Condition(
                +[](Subprocess* p) {
                  p->owner_mu_.AssertHeld();
                  return p->owner_exit_ || p->requested_ > p->served_;
                },
                this),
            kStubWatchPeriod);
        if (owner_exit_) break;
        if (!woken) {
          owner_mu_.Unlock();
          WatchStubs();
          owner_mu_.Lock();
          continue;
        }
        ticket = served_ + 1;
      }
      // CLONE_PARENT: the new stub is our child too (reapable by any sentry
      // thread); CLONE_UNTRACED: it is not auto-attached to us.
      long r = Inject(&main_, page_->clone_site, SYS_clone,
                      CLONE_VM | CLONE_PARENT | CLONE_UNTRACED, 0, 0, 0, 0);
      absl::MutexLock l(&owner_mu_);
      clone_results_[ticket] = r > 0 ? static_cast<pid_t>(r)
                                     : static_cast<pid_t>(r == 0 ? -EFAULT : r);
      served_ = ticket;
    }
    KillAndReap(main_.pid);
  }

  // Tells the contexts whose stubs died from outside (kill -9 of a stub):
  // the application process in this address space has been killed. If the
  // main stub died, every context here is told: the space is lost.
  void WatchStubs() {
    const bool main_dead = !main_.broken && StubExited(main_.pid);
    absl::MutexLock l(&mu_);
    if (released_) return;
    for (auto& [key, t] : stubs_) {
      if (t->on_death == nullptr || t->death_reported) continue;
      if (!main_dead && !StubExited(t->pid)) continue;
      // The notice must not block (it may find its locks busy): retried on
      // the next period until it is taken.
      t->death_reported = (*t->on_death)();
    }
  }

  absl::Status ForkMainStub() {
    const uint64_t entry = page_->entry;
    // glibc registered an rseq area in this thread's TLS; the child inherits
    // the registration, and once the stub unmaps the TLS the kernel's rseq
    // update on return to user mode fails with SIGSEGV (SI_KERNEL). The child
    // unregisters it first (same pointer, length and signature).
    void* rseq_area = nullptr;
    if (__rseq_size > 0) {
      rseq_area =
          static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
    }
    const unsigned rseq_len = __rseq_size < 32 ? 32 : __rseq_size;
    // Raw clone, not fork(): no atfork handlers run in the child, which jumps
    // straight into the stub page and never touches libc again (syscall() is
    // a plain assembly wrapper).
    long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) return base::ErrnoStatus(errno, "clone stub");
    if (pid == 0) {
      if (rseq_area != nullptr &&
          syscall(SYS_rseq, rseq_area, rseq_len, 1 /* RSEQ_FLAG_UNREGISTER */,
                  kRseqSig) != 0) {
        syscall(SYS_exit_group, 112);
      }
      reinterpret_cast<void (*)()>(entry)();
      __builtin_trap();
    }
    main_.pid = static_cast<pid_t>(pid);
    main_.tracer = Gettid();
    absl::Status s = WaitInitialStop(&main_);
    if (s.ok() &&
        ::ptrace(PTRACE_SETOPTIONS, main_.pid, 0, kSeizeOptions) != 0) {
      s = base::ErrnoStatus(errno, "PTRACE_SETOPTIONS stub");
    }
    if (!s.ok()) {
      KillAndReap(main_.pid);
      main_.broken = true;
    }
    return s;
  }

  const StubPage* page_;

  absl::Mutex mu_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> released_flag_{false};
  absl::flat_hash_map<uint64_t, std::unique_ptr<StubThread>> stubs_
      ABSL_GUARDED_BY(mu_);

  std::thread owner_;
  absl::Mutex owner_mu_;
  bool owner_started_ ABSL_GUARDED_BY(owner_mu_) = false;
  bool owner_exit_ ABSL_GUARDED_BY(owner_mu_) = false;
  absl::Status owner_status_ ABSL_GUARDED_BY(owner_mu_);
  uint64_t requested_ ABSL_GUARDED_BY(owner_mu_) = 0;
  uint64_t served_ ABSL_GUARDED_BY(owner_mu_) = 0;
  absl::flat_hash_map<uint64_t, pid_t> clone_results_
      ABSL_GUARDED_BY(owner_mu_);
  StubThread main_;  // owned by the owner thread
};

class PtraceAddressSpace final : public AddressSpace {
 public:
  explicit PtraceAddressSpace(std::shared_ptr<Subprocess> sp)
      : sp_(std::move(sp)) {}
  ~PtraceAddressSpace() override { Release(); }

  ErrnoStatus MapFile(uint64_t addr, uint64_t len, uint64_t offset,
                      int prot) override {
    StubThread* t = sp_->ForCaller();
    if (t == nullptr) return Errno{EFAULT};
    long r = Inject(t, sp_->page().syscall_site, SYS_mmap, addr, len,
                    static_cast<uint64_t>(prot), MAP_SHARED | MAP_FIXED,
                    static_cast<uint64_t>(memfd_), offset);
    if (r < 0 && r > -4096) return Errno{static_cast<int>(-r)};
    if (static_cast<uint64_t>(r) != addr) return Errno{EFAULT};
    return OkErrno();
  }

  ErrnoStatus Unmap(uint64_t addr, uint64_t len) override {
    return Simple(SYS_munmap, addr, len, 0);
  }

  ErrnoStatus Protect(uint64_t addr, uint64_t len, int prot) override {
    return Simple(SYS_mprotect, addr, len, static_cast<uint64_t>(prot));
  }

  void Release() override { sp_->Release(); }

  void set_memfd(int fd) { memfd_ = fd; }
  const std::shared_ptr<Subprocess>& subprocess() const { return sp_; }

 private:
  ErrnoStatus Simple(long nr, uint64_t a0, uint64_t a1, uint64_t a2) {
    StubThread* t = sp_->ForCaller();
    if (t == nullptr) return Errno{EFAULT};
    long r = Inject(t, sp_->page().syscall_site, nr, a0, a1, a2);
    if (r < 0) return Errno{static_cast<int>(-r)};
    return OkErrno();
  }

  std::shared_ptr<Subprocess> sp_;
  int memfd_ = -1;
};

class PtraceContext final : public Context {
 public:
  PtraceContext() : owner_tid_(Gettid()) {}
  ~PtraceContext() override { Release(); }

  StopReason Switch(AddressSpace& as, arch::Registers& regs) override;

  void SetOnStubDeath(std::function<bool()> fn) override {
    on_death_ = std::make_shared<std::function<bool()>>(std::move(fn));
    // Stubs made earlier (Prepare on this thread) get the notice too.
    for (auto& w : spaces_) {
      if (auto sp = w.lock()) sp->SetOnDeathForCaller(on_death_);
    }
  }

  ErrnoStatus Prepare(AddressSpace& as) override {
    if (Gettid() != owner_tid_) return Errno{EINVAL};
    const std::shared_ptr<Subprocess>& sp =
        static_cast<PtraceAddressSpace&>(as).subprocess();
    if (sp->released()) return Errno{EAGAIN};
    // The host may refuse the clone of a new stub (EAGAIN).
    StubThread* t = sp->ForCaller(on_death_);
    if (t == nullptr) return Errno{EAGAIN};
    spaces_.push_back(sp);
    cached_sp_ = sp;
    cached_stub_ = t;
    return OkErrno();
  }

  void Interrupt() override {
    interrupt_.store(true, std::memory_order_seq_cst);
    pid_t pid = running_.load(std::memory_order_seq_cst);
    if (pid > 0) syscall(SYS_tgkill, pid, pid, kInterruptSignal);
  }

  void Release() override {
    if (Gettid() != owner_tid_) return;  // only the tracer can drop stubs
    for (auto& w : spaces_) {
      if (auto sp = w.lock()) sp->DropCaller();
    }
    spaces_.clear();
    cached_sp_.reset();
    cached_stub_ = nullptr;
  }

 private:
  StopReason Died(int status) {
    StopReason r;
    r.kind = StopReason::Kind::kDied;
    r.wait_status = status;
    return r;
  }

  const pid_t owner_tid_;
  std::shared_ptr<std::function<bool()>> on_death_;
  std::atomic<bool> interrupt_{false};
  std::atomic<pid_t> running_{0};
  std::vector<std::weak_ptr<Subprocess>> spaces_;
  // The last address space switched into and this thread's stub there. A
  // stub is only destroyed by its tracer (this thread) or by Release of the
  // address space, which must not race with Switch; the weak_ptr in spaces_
  // keeps the Subprocess alive for the pointer comparison's meaning.
  std::weak_ptr<Subprocess> cached_sp_;
  StubThread* cached_stub_ = nullptr;
};

void Pin(StubThread* t) {
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu == t->cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(t->pid, sizeof(set), &set) == 0) t->cpu = cpu;
}

// Classifies the fault access from what ptrace can see (no error code).
AccessType GuessAccess(const siginfo_t& si, uint64_t rip) {
  const uint64_t addr = reinterpret_cast<uint64_t>(si.si_addr);
  // An instruction fetch faults at rip, or within the instruction when it
  // straddles into the next page.
  if (addr == rip || (addr > rip && addr < rip + 16 &&
                      (addr & ~(kPage - 1)) != (rip & ~(kPage - 1)))) {
    return AccessType::kExec;
  }
  return si.si_code == SEGV_ACCERR ? AccessType::kWrite : AccessType::kRead;
}

StopReason PtraceContext::Switch(AddressSpace& as, arch::Registers& regs) {
  StopReason out;
  if (Gettid() != owner_tid_) {
    LOG(ERROR) << "ptrace Context::Switch from a thread that is not its owner";
    return Died(0);
  }
  auto& pas = static_cast<PtraceAddressSpace&>(as);
  StubThread* t = nullptr;
  const std::shared_ptr<Subprocess>& sp = pas.subprocess();
  if (sp->released()) return Died(0);
  // Owner-based comparison: the weak_ptr keeps the control block alive, so a
  // new Subprocess can never compare equal to a dead cached one. A stub that
  // died (killed from outside) is replaced by ForCaller with a fresh one in
  // the same mm, if the address space still has a live stub to clone from.
  if (cached_stub_ != nullptr && !cached_stub_->broken &&
      !cached_sp_.owner_before(sp) && !sp.owner_before(cached_sp_)) {
    t = cached_stub_;
  } else {
    cached_stub_ = nullptr;
    cached_sp_.reset();
    t = sp->ForCaller(on_death_);
    if (t == nullptr) return Died(0);
    bool known = false;
    for (auto& w : spaces_) {
      if (w.lock() == sp) known = true;
    }
    if (!known) spaces_.push_back(sp);
    cached_sp_ = sp;
    cached_stub_ = t;
  }
  Pin(t);

  regs.Sanitize();
  if (::ptrace(PTRACE_SETREGS, t->pid, 0, &regs.gp()) != 0) {
    t->broken = true;
    return Died(0);
  }
  const size_t xlen = g_xstate_len.load();
  if (t->fp_regs != &regs || t->fp_generation != regs.fp_generation()) {
    iovec iov{const_cast<uint8_t*>(regs.fp().data()), xlen};
    if (::ptrace(PTRACE_SETREGSET, t->pid, NT_X86_XSTATE, &iov) != 0) {
      LOG(WARNING) << "PTRACE_SETREGSET xstate: " << strerror(errno);
    }
  }
  running_.store(t->pid, std::memory_order_seq_cst);
  if (interrupt_.exchange(false, std::memory_order_seq_cst)) {
    running_.store(0);
    return out;  // kInterrupted, registers untouched
  }
  if (::ptrace(PTRACE_SYSEMU, t->pid, 0, 0) != 0) {
    running_.store(0);
    t->broken = true;
    return Died(0);
  }
  int status = 0;
  for (;;) {
    if (WaitPid(t->pid, &status) < 0) {
      running_.store(0);
      t->broken = true;
      return Died(0);
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      running_.store(0);
      t->broken = true;
      t->pid = -1;  // reaped
      return Died(status);
    }
    if (WIFSTOPPED(status)) break;
  }
  running_.store(0, std::memory_order_seq_cst);

  if (::ptrace(PTRACE_GETREGS, t->pid, 0, &regs.gp()) != 0) {
    t->broken = true;
    return Died(0);
  }
  {
    // The stub's FP state now matches regs: read it back without bumping the
    // generation the kernel uses to signal modifications.
    arch::FpState& fp = regs.fp_for_platform();
    iovec iov{fp.mutable_data(), xlen};
    ::ptrace(PTRACE_GETREGSET, t->pid, NT_X86_XSTATE, &iov);
    t->fp_regs = &regs;
    t->fp_generation = regs.fp_generation();
  }

  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  if (sig == (SIGTRAP | 0x80)) {
    out.kind = StopReason::Kind::kSyscall;
    // Ask the kernel which entry was used: `int $0x80` must not pass for
    // `syscall`. (Register heuristics such as rcx == rip are under the
    // program's control.) Fail closed: an answer we cannot get is treated
    // as the 32-bit entry, which the kernel refuses.
    __ptrace_syscall_info info{};
    long n = ::ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, sizeof(info), &info);
    if (n <= 0 || info.arch != AUDIT_ARCH_X86_64) {
      out.syscall_arch = arch::SyscallArch::kI386;
    }
    return out;
  }
  if (event != 0 || sig == kInterruptSignal || sig == SIGSTOP) {
    interrupt_.store(false);
    out.kind = StopReason::Kind::kInterrupted;
    return out;
  }
  out.signo = sig;
  if (::ptrace(PTRACE_GETSIGINFO, t->pid, 0, &out.info) != 0) {
    std::memset(&out.info, 0, sizeof(out.info));
    out.info.si_signo = sig;
  }
  if ((sig == SIGSEGV || sig == SIGBUS) && out.info.si_code > 0 &&
      out.info.si_code != SI_KERNEL) {
    out.kind = StopReason::Kind::kFault;
    out.fault_addr = reinterpret_cast<uint64_t>(out.info.si_addr);
    out.access = GuessAccess(out.info, regs.ip());
    return out;
  }
  if (sig == SIGSYS && out.info.si_code == kSysSeccomp &&
      (reinterpret_cast<uint64_t>(out.info.si_call_addr) & ~(kPage - 1)) ==
          kVsyscallPage) {
    // A vsyscall, trapped by the stub filter. The host already emulated the
    // `ret` (rip is the caller, rsp popped): present it as a syscall whose
    // result the kernel writes into rax.
    regs.gp().orig_rax = static_cast<uint64_t>(out.info.si_syscall);
    out = StopReason{};
    out.kind = StopReason::Kind::kSyscall;
    return out;
  }
  out.kind = StopReason::Kind::kSignal;
  return out;
}

class PtracePlatform : public Platform {
 public:
  PtracePlatform(int memfd, StubPage page) : memfd_(memfd), page_(page) {}
  ~PtracePlatform() override {
    munmap(reinterpret_cast<void*>(page_.addr), kPage);
  }

  uint64_t MinUserAddress() const override { return 0x10000; }
  uint64_t MaxUserAddress() const override { return kStubSearchStart; }

  absl::StatusOr<std::unique_ptr<AddressSpace>> NewAddressSpace() override {
    auto sp = std::make_shared<Subprocess>(&page_);
    absl::Status s = sp->Start();
    if (!s.ok()) return s;
    auto as = std::make_unique<PtraceAddressSpace>(std::move(sp));
    as->set_memfd(memfd_);
    return as;
  }

  absl::StatusOr<std::unique_ptr<Context>> NewContext() override {
    return std::make_unique<PtraceContext>();
  }

 private:
  int memfd_;
  StubPage page_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Platform>> NewPtracePlatform(
    int memory_file_fd) {
  absl::StatusOr<StubPage> page = StubPage::Create(memory_file_fd);
  if (!page.ok()) return page.status();
  return std::make_unique<PtracePlatform>(memory_file_fd, *page);
}

pid_t StubPidForTesting(AddressSpace& as) {
  StubThread* t =
      static_cast<PtraceAddressSpace&>(as).subprocess()->ForCaller();
  return t == nullptr ? -1 : t->pid;
}

}  // namespace sentry::platform::ptrace
