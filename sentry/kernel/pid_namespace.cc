#include "sentry/kernel/pid_namespace.h"

namespace sentry::kernel {

ErrnoOr<int> PidNamespace::Allocate() {
  int min = last_ >= kReservedPids ? kReservedPids : 1;
  int candidate = last_ + 1;
  for (int tries = 0; tries < pid_max_; ++tries, ++candidate) {
    if (candidate >= pid_max_) candidate = min;
    if (refs_.count(candidate) == 0) {
      refs_[candidate] = 1;
      last_ = candidate;
      return candidate;
    }
  }
  return Errno{EAGAIN};
}

void PidNamespace::Unref(int id) {
  auto it = refs_.find(id);
  if (it == refs_.end()) return;
  if (--it->second == 0) refs_.erase(it);
}

template <typename M>
static typename M::mapped_type Find(const M& m, int id) {
  auto it = m.find(id);
  return it == m.end() ? nullptr : it->second;
}

Task* PidNamespace::FindTask(int tid) const { return Find(tasks, tid); }
ThreadGroup* PidNamespace::FindThreadGroup(int tgid) const {
  return Find(thread_groups, tgid);
}
ProcessGroup* PidNamespace::FindProcessGroup(int pgid) const {
  return Find(process_groups, pgid);
}
Session* PidNamespace::FindSession(int sid) const {
  return Find(sessions, sid);
}

}  // namespace sentry::kernel
