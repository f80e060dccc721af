// Blocking with interruption.
//
// A Waiter belongs to one blocked task. Code that blocks (a pipe read, a FIFO
// open) registers the mutex and condition variable it waits on with the
// task's Waiter, then waits while checking interrupted(); the kernel calls
// Interrupt() when a signal arrives, which wakes the task so that the
// operation returns EINTR (or a partial count).
//
// Lock order: Waiter::mu_ before the registered mutex. Register/Unregister
// must therefore be called while NOT holding the registered mutex.
#ifndef SENTRY_VFS_WAITER_H_
#define SENTRY_VFS_WAITER_H_

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sentry::vfs {

class Waiter {
 public:
  // Wakes the task if it is blocked and makes interrupted() true until
  // ClearInterrupt().
  void Interrupt();
  void ClearInterrupt() { interrupted_.store(false); }
  bool interrupted() const { return interrupted_.load(); }

  void Register(absl::Mutex* mu, absl::CondVar* cv);
  void Unregister();

 private:
  std::atomic<bool> interrupted_{false};
  absl::Mutex mu_;
  absl::Mutex* wait_mu_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::CondVar* wait_cv_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// RAII registration.
class WaiterRegistration {
 public:
  WaiterRegistration(Waiter* w, absl::Mutex* mu, absl::CondVar* cv) : w_(w) {
    if (w_) w_->Register(mu, cv);
  }
  ~WaiterRegistration() {
    if (w_) w_->Unregister();
  }
  WaiterRegistration(const WaiterRegistration&) = delete;
  WaiterRegistration& operator=(const WaiterRegistration&) = delete;

 private:
  Waiter* w_;
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_WAITER_H_
