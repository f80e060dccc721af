// Syscall handler plumbing: raw arguments, typed parameters and the table
// adapter.
//
// A handler has a typed signature, e.g.
//   SyscallResult Kill(Task& t, int pid, int sig);
//   SyscallResult RtSigaction(Task& t, int sig, UserPtr<KernelSigAction> act,
//                             UserPtr<KernelSigAction> oldact, size_t setsize);
// and Adapt<&Kill> turns it into the table's uniform Handler by decoding each
// raw 64-bit register: int/unsigned truncate to 32 bits (as Linux's int
// parameters do), 64-bit integers pass through, Fd wraps a descriptor number,
// UserAddr and UserPtr<T> wrap addresses. Handlers then follow the shape
// validate -> look up -> call kernel/mm/vfs -> return.
#ifndef SENTRY_SYSCALLS_SYSCALL_H_
#define SENTRY_SYSCALLS_SYSCALL_H_

#include <array>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/syscall_result.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/user_memory.h"

namespace sentry::syscalls {

using kernel::SyscallResult;
using kernel::Task;
using kernel::UserAddr;
using kernel::UserPtr;

struct SyscallArgs {
  uint64_t nr = 0;
  std::array<uint64_t, 6> raw{};
  static SyscallArgs FromRegisters(const kernel::Registers& r) {
    SyscallArgs a;
    a.nr = r.SyscallNo();
    for (int i = 0; i < 6; ++i) a.raw[i] = r.SyscallArg(i);
    return a;
  }
};

// A file descriptor number as passed by the application.
struct Fd {
  int value;
};

template <typename T, typename = void>
struct ArgDecoder;

template <typename T>
struct ArgDecoder<T, std::enable_if_t<std::is_integral_v<T>>> {
  static T Decode(uint64_t raw) { return static_cast<T>(raw); }
};
template <>
struct ArgDecoder<Fd> {
  static Fd Decode(uint64_t raw) { return Fd{static_cast<int>(raw)}; }
};
template <>
struct ArgDecoder<UserAddr> {
  static UserAddr Decode(uint64_t raw) { return UserAddr(raw); }
};
template <typename T>
struct ArgDecoder<UserPtr<T>> {
  static UserPtr<T> Decode(uint64_t raw) { return UserPtr<T>(UserAddr(raw)); }
};

using Handler = SyscallResult (*)(Task&, const SyscallArgs&);

namespace internal {
template <typename... P, size_t... I>
SyscallResult CallDecoded(SyscallResult (*f)(Task&, P...), Task& t,
                          const SyscallArgs& a, std::index_sequence<I...>) {
  return f(t, ArgDecoder<std::decay_t<P>>::Decode(a.raw[I])...);
}
template <typename... P>
constexpr size_t Arity(SyscallResult (*)(Task&, P...)) {
  return sizeof...(P);
}
}  // namespace internal

// Adapt<&Handler>: the table entry for a typed handler.
template <auto F>
SyscallResult Adapt(Task& t, const SyscallArgs& a) {
  static_assert(internal::Arity(F) <= 6, "at most 6 syscall arguments");
  return internal::CallDecoded(F, t, a,
                               std::make_index_sequence<internal::Arity(F)>());
}

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYSCALL_H_
