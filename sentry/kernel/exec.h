// execve(2) on the kernel side: replace the task's address space with a
// freshly loaded program (sentry/loader) and reset what Linux resets.
//
// The kernel does not know files: ExecEnv supplies the FileOpener (the VFS,
// resolving with the task's root/cwd and checking exec permission) and a
// factory for a fresh address space (memory file + platform). Until the VFS
// is wired in, tests and bootstrap use loader::HostFileOpener.
//
// Linux's order is kept: everything that can fail (argument copy, open,
// load into a new mm) happens before the point of no return; after it the
// other threads are killed and awaited, the mm is swapped, caught signal
// handlers reset to SIG_DFL, the alternate stack disabled, POSIX timers
// deleted, the robust list dropped and a vfork parent released.
//
// Partial: a non-leader thread that execs keeps its own tid (Linux makes it
// take over the leader's); setuid/setgid bits and file capabilities are not
// applied; close-on-exec descriptors are the VFS's (not yet called).
#ifndef SENTRY_KERNEL_EXEC_H_
#define SENTRY_KERNEL_EXEC_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sentry/base/errno.h"
#include "sentry/kernel/user_memory.h"
#include "sentry/loader/loader.h"

namespace sentry::kernel {

class Task;

struct ExecEnv {
  // A new, empty address space (with memory_manager() non-null).
  std::function<ErrnoOr<std::shared_ptr<UserMemory>>()> new_mm;
  // Opens paths for the calling task.
  std::function<std::unique_ptr<loader::FileOpener>(Task&)> opener;
};

// Linux's limits on execve arguments.
inline constexpr size_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN
inline constexpr size_t kMaxArgCount = 0x7fffffff;  // MAX_ARG_STRINGS

// Replaces t's program. On success t's registers start the new program.
ErrnoStatus Exec(Task& t, const ExecEnv& env, const std::string& filename,
                 std::vector<std::string> argv, std::vector<std::string> envp);

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_EXEC_H_
