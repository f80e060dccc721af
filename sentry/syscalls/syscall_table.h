// The x86-64 syscall table: every number -> {name, handler, support, note},
// and the dispatcher the kernel's run loop calls.
//
// Support is what a compatibility report shows: kFull (Linux semantics),
// kPartial (the note says what is missing), kNone (ENOSYS; reported once per
// sandbox by name in the log). Handlers are registered by one function per
// family (sys_<family>.cc); numbers without a handler return ENOSYS. File,
// socket and memory families are registered here with kNone until the VFS
// and mm land and their handlers are added.
//
// Thread-safe: the table is immutable after construction.
#ifndef SENTRY_SYSCALLS_SYSCALL_TABLE_H_
#define SENTRY_SYSCALLS_SYSCALL_TABLE_H_

#include <string>
#include <vector>

#include "sentry/syscalls/syscall.h"

namespace sentry::syscalls {

enum class Support { kFull, kPartial, kNone };

struct SyscallInfo {
  const char* name = nullptr;  // null: a number Linux never assigned
  Handler handler = nullptr;
  Support support = Support::kNone;
  const char* note = "";
};

class SyscallTable {
 public:
  // The process-wide table, built on first use.
  static const SyscallTable& Get();

  int max_nr() const { return static_cast<int>(entries_.size()) - 1; }
  // Null for numbers outside the table.
  const SyscallInfo* Lookup(uint64_t nr) const {
    return nr < entries_.size() ? &entries_[nr] : nullptr;
  }
  // Registration (families call this while the table is built).
  void Set(int nr, Handler h, Support s, const char* note = "");

 private:
  SyscallTable();
  std::vector<SyscallInfo> entries_;
};

// Family registration functions (sys_<family>.cc).
void RegisterSignalSyscalls(SyscallTable& t);
void RegisterThreadSyscalls(SyscallTable& t);
void RegisterFutexSyscalls(SyscallTable& t);
void RegisterTimeSyscalls(SyscallTable& t);
void RegisterIdentitySyscalls(SyscallTable& t);
void RegisterMiscSyscalls(SyscallTable& t);
void RegisterMmapSyscalls(SyscallTable& t);
void RegisterExecSyscalls(SyscallTable& t);
void RegisterReadWriteSyscalls(SyscallTable& t);
void RegisterFdSyscalls(SyscallTable& t);
void RegisterStatSyscalls(SyscallTable& t);
void RegisterPathSyscalls(SyscallTable& t);
void RegisterPollSyscalls(SyscallTable& t);
void RegisterEpollSyscalls(SyscallTable& t);
void RegisterEventFileSyscalls(SyscallTable& t);
void RegisterLockSyscalls(SyscallTable& t);
void RegisterSpliceSyscalls(SyscallTable& t);
void RegisterMemfdSyscalls(SyscallTable& t);
void RegisterInotifySyscalls(SyscallTable& t);
void RegisterSocketSyscalls(SyscallTable& t);

// Serves the syscall stop of `t`: decodes, dispatches, logs ENOSYS once per
// kernel and, when strace is on, one line per call.
SyscallResult Dispatch(Task& t);

// Installs Dispatch as the kernel's syscall dispatcher.
void InstallDispatcher(kernel::Kernel& k);

// Name for logs: "openat", or "syscall_999" for unknown numbers.
std::string SyscallName(uint64_t nr);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYSCALL_TABLE_H_
