#include "sentry/vfs/waiter.h"

namespace sentry::vfs {

void Waiter::Interrupt() {
  absl::MutexLock l(&mu_);
  interrupted_.store(true);
  if (wait_mu_ != nullptr) {
    // Taking the waited-on mutex orders this wake-up after the blocked
    // task's check of interrupted(): it cannot be lost.
    absl::MutexLock w(wait_mu_);
    wait_cv_->SignalAll();
  }
}

void Waiter::Register(absl::Mutex* mu, absl::CondVar* cv) {
  absl::MutexLock l(&mu_);
  wait_mu_ = mu;
  wait_cv_ = cv;
}

void Waiter::Unregister() {
  absl::MutexLock l(&mu_);
  wait_mu_ = nullptr;
  wait_cv_ = nullptr;
}

}  // namespace sentry::vfs
