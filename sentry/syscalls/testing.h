// Test support for handler tests: calls a syscall by number through the
// real table and adapter, as the run loop would.
#ifndef SENTRY_SYSCALLS_TESTING_H_
#define SENTRY_SYSCALLS_TESTING_H_

#include <initializer_list>

#include "sentry/kernel/testing.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

inline SyscallResult Call(Task& t, uint64_t nr,
                          std::initializer_list<uint64_t> args = {}) {
  kernel::Registers& r = t.regs();
  r.gp().orig_rax = nr;
  uint64_t a[6] = {};
  int i = 0;
  for (uint64_t v : args) a[i++] = v;
  r.gp().rdi = a[0];
  r.gp().rsi = a[1];
  r.gp().rdx = a[2];
  r.gp().r10 = a[3];
  r.gp().r8 = a[4];
  r.gp().r9 = a[5];
  return Dispatch(t);
}

// Raw rax as the application would see it (value or -errno).
inline int64_t CallRaw(Task& t, uint64_t nr,
                       std::initializer_list<uint64_t> args = {}) {
  return Call(t, nr, args).Raw();
}

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_TESTING_H_
