#include "sentry/syscalls/syscall_table.h"

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "sentry/syscalls/strace.h"

namespace sentry::syscalls {

namespace {
#include "sentry/syscalls/syscall_names.inc"
}  // namespace

SyscallTable::SyscallTable() : entries_(SENTRY_SYSCALL_MAX_NR + 1) {
  for (int i = 0; i <= SENTRY_SYSCALL_MAX_NR; ++i) {
    entries_[i].name = kSyscallNames[i];
  }
  RegisterSignalSyscalls(*this);
  RegisterThreadSyscalls(*this);
  RegisterFutexSyscalls(*this);
  RegisterTimeSyscalls(*this);
  RegisterIdentitySyscalls(*this);
  RegisterMiscSyscalls(*this);
  RegisterMmapSyscalls(*this);
  RegisterExecSyscalls(*this);
  RegisterReadWriteSyscalls(*this);
  RegisterFdSyscalls(*this);
  RegisterStatSyscalls(*this);
  RegisterPathSyscalls(*this);
  RegisterPollSyscalls(*this);
  RegisterEpollSyscalls(*this);
  RegisterEventFileSyscalls(*this);
  RegisterLockSyscalls(*this);
  RegisterSpliceSyscalls(*this);
  RegisterMemfdSyscalls(*this);
  RegisterInotifySyscalls(*this);
  RegisterSocketSyscalls(*this);
}

const SyscallTable& SyscallTable::Get() {
  static const SyscallTable* table = new SyscallTable();  // never destroyed
  return *table;
}

void SyscallTable::Set(int nr, Handler h, Support s, const char* note) {
  SyscallInfo& e = entries_.at(nr);
  e.handler = h;
  e.support = s;
  e.note = note;
}

std::string SyscallName(uint64_t nr) {
  const SyscallInfo* e = SyscallTable::Get().Lookup(nr);
  if (e != nullptr && e->name != nullptr) return e->name;
  return absl::StrCat("syscall_", nr);
}

SyscallResult Dispatch(Task& t) {
  SyscallArgs args = SyscallArgs::FromRegisters(t.regs());
  const SyscallInfo* e = SyscallTable::Get().Lookup(args.nr);
  const bool strace = t.kernel().strace();
  StraceRecord rec;
  if (strace) rec = StraceEnter(t, args);
  SyscallResult r = SyscallResult::Error(Errno{ENOSYS});
  if (e != nullptr && e->handler != nullptr) {
    r = e->handler(t, args);
  } else if (t.kernel().FirstUnimplemented(static_cast<int>(
                 args.nr > 0x7fffffff ? 0x7fffffff : args.nr))) {
    LOG(WARNING) << "Unsupported syscall " << SyscallName(args.nr) << " ("
                 << args.nr << ")"
                 << (e != nullptr && e->note[0] ? absl::StrCat(": ", e->note)
                                                : std::string());
  }
  if (strace) {
    LOG(INFO) << "[" << t.tg().tgid << ":" << t.tid() << "] " << t.name() << " "
              << StraceExit(t, args, rec, r);
  }
  return r;
}

void InstallDispatcher(kernel::Kernel& k) { k.SetSyscallDispatcher(&Dispatch); }

}  // namespace sentry::syscalls
