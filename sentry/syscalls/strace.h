// --strace: one log line per syscall with decoded arguments and the result.
//
// Each syscall has an argument spec (a string of one letter per argument,
// see strace.cc): paths are read from application memory and quoted, flags
// are symbolic where cheap (open, mmap prot/flags, clone, futex op, signal
// numbers), buffers are shown truncated. Arguments are decoded on entry;
// output buffers (read(2)'s) on exit with the result length. The result is
// "= value", "= -1 ENOENT" or "= ? ERESTARTSYS (to be restarted)".
#ifndef SENTRY_SYSCALLS_STRACE_H_
#define SENTRY_SYSCALLS_STRACE_H_

#include <string>
#include <vector>

#include "sentry/syscalls/syscall.h"

namespace sentry::syscalls {

struct StraceRecord {
  std::string name;
  std::vector<std::string> args;  // "" for output arguments decoded at exit
};

// The spec of a syscall number ("" when unknown: args shown in hex).
const char* StraceSpec(uint64_t nr);

StraceRecord StraceEnter(Task& t, const SyscallArgs& a);
// "openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3".
std::string StraceExit(Task& t, const SyscallArgs& a, StraceRecord& rec,
                       const SyscallResult& r);

// Pieces, exposed for tests.
std::string FormatOpenFlags(uint64_t flags);
std::string FormatCloneFlags(uint64_t flags);
std::string QuoteBytes(const void* data, size_t n, size_t max_shown);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_STRACE_H_
