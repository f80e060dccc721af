// PID namespace: id allocation and the id -> object maps.
//
// Like Linux, ids are allocated cyclically: the next free id above the last
// one allocated, wrapping to kReservedPids (300) once the counter has passed
// it (Linux's alloc_pid). An id stays in use while anything refers to it: a
// live or zombie task, a process group or a session (Linux's struct pid
// refcount), so a pgid is never reused while its group exists.
//
// Only the root namespace exists today (the container's init is PID 1);
// nested namespaces (CLONE_NEWPID) are not supported.
//
// Not thread-safe: guarded by Kernel::mu().
#ifndef SENTRY_KERNEL_PID_NAMESPACE_H_
#define SENTRY_KERNEL_PID_NAMESPACE_H_

#include <map>

#include "sentry/base/errno.h"

namespace sentry::kernel {

class Task;
class ThreadGroup;
class ProcessGroup;
class Session;

class PidNamespace {
 public:
  static constexpr int kReservedPids = 300;
  static constexpr int kDefaultPidMax = 4194304;  // Linux 64-bit PID_MAX_LIMIT

  explicit PidNamespace(int pid_max = kDefaultPidMax) : pid_max_(pid_max) {}

  // Allocates an id with one reference (EAGAIN when all are in use).
  ErrnoOr<int> Allocate();
  void Ref(int id) { ++refs_[id]; }
  void Unref(int id);
  bool InUse(int id) const { return refs_.count(id) != 0; }
  int last() const { return last_; }
  void set_last(int v) { last_ = v; }  // for tests (ns_last_pid)

  Task* FindTask(int tid) const;
  ThreadGroup* FindThreadGroup(int tgid) const;
  ProcessGroup* FindProcessGroup(int pgid) const;
  Session* FindSession(int sid) const;

  std::map<int, Task*> tasks;
  std::map<int, ThreadGroup*> thread_groups;
  std::map<int, ProcessGroup*> process_groups;
  std::map<int, Session*> sessions;

 private:
  int pid_max_;
  int last_ = 0;
  std::map<int, int> refs_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_PID_NAMESPACE_H_
