#include "sentry/kernel/task.h"

#include <linux/futex.h>

#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

void WaitQueue::Add(Task* t) {
  absl::MutexLock l(&mu_);
  waiters_.push_back(t);
}

void WaitQueue::Remove(Task* t) {
  absl::MutexLock l(&mu_);
  waiters_.remove(t);
}

void WaitQueue::NotifyAll() {
  absl::MutexLock l(&mu_);
  for (Task* t : waiters_) t->Notify();
}

WaitQueueEntry::WaitQueueEntry(WaitQueue& q, Task* t) : q_(q), t_(t) {
  q_.Add(t_);
}
WaitQueueEntry::~WaitQueueEntry() { q_.Remove(t_); }

int ShellExitCode(int status) {
  if ((status & 0x7f) == 0) return (status >> 8) & 0xff;  // exited
  if ((status & 0xff) == 0x7f) return 128 + ((status >> 8) & 0xff);
  return 128 + (status & 0x7f);  // killed (core bit dropped)
}

Task::Task(Kernel* k, int tid, std::shared_ptr<ThreadGroup> tg)
    : kernel_(k), tid_(tid), tg_(std::move(tg)) {}

Task::~Task() = default;

bool Task::IsLeader() const { return tg_->tgid == tid_; }

CredentialsRef Task::creds() const {
  absl::MutexLock l(&creds_mu_);
  return creds_;
}

void Task::set_creds(Credentials c) {
  auto ref = std::make_shared<const Credentials>(std::move(c));
  absl::MutexLock l(&creds_mu_);
  creds_ = std::move(ref);
}

std::string Task::name() const {
  absl::MutexLock l(&creds_mu_);
  return name_;
}

void Task::set_name(std::string n) {
  if (n.size() > 15) n.resize(15);  // TASK_COMM_LEN - 1
  absl::MutexLock l(&creds_mu_);
  name_ = std::move(n);
}

void Task::PrepareBlock() {
  absl::MutexLock l(&block_mu_);
  notified_ = false;
}

Task::BlockResult Task::Block(std::optional<absl::Time> deadline) {
  absl::MutexLock l(&block_mu_);
  for (;;) {
    if (notified_) {
      notified_ = false;
      return BlockResult::kNotified;
    }
    if (interrupted_.load() || killed_.load()) return BlockResult::kInterrupted;
    if (deadline.has_value()) {
      if (absl::Now() >= *deadline) return BlockResult::kTimedOut;
      block_cv_.WaitWithDeadline(&block_mu_, *deadline);
    } else {
      block_cv_.Wait(&block_mu_);
    }
  }
}

void Task::Notify() {
  absl::MutexLock l(&block_mu_);
  notified_ = true;
  block_cv_.Signal();
}

void Task::Interrupt() {
  interrupted_.store(true);
  {
    absl::MutexLock l(&block_mu_);
    block_cv_.Signal();
  }
  vfs_waiter_.Interrupt();
  // Callers hold the kernel mu, and Run() clears this pointer under it
  // before releasing the context, so the context outlives the call.
  if (platform::Context* c = ctx_for_interrupt_.load()) c->Interrupt();
}

void Task::ExitThread(int status) {
  // Linux's mm_release: clear_child_tid is zeroed and woken (pthread_join),
  // then the robust list is walked; both only if memory is still there.
  if (mm_ != nullptr) {
    ExitRobustList(*this);
    if (!clear_child_tid.IsNull()) {
      uint32_t zero = 0;
      if (mm().CopyOutObj(UserPtr<uint32_t>(clear_child_tid), zero).ok()) {
        kernel_->futexes().Wake(MakeFutexKey(*this, clear_child_tid, false),
                                FUTEX_BITSET_MATCH_ANY, 1);
        kernel_->futexes().Wake(MakeFutexKey(*this, clear_child_tid, true),
                                FUTEX_BITSET_MATCH_ANY, 1);
      }
    }
  }
  // Linux's exit_files/exit_fs: descriptors close when the thread exits,
  // not when its zombie is reaped (a pipe's reader sees EOF at once). Only
  // the task thread touches these, so no lock is needed.
  std::shared_ptr<ForkableResource> files_ref = std::move(files);
  std::shared_ptr<ForkableResource> fs_ref = std::move(fs);
  files_ref.reset();
  fs_ref.reset();
  kernel_->ThreadExited(this, status);
}

}  // namespace sentry::kernel
