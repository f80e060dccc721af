#include "sentry/kernel/proc_provider.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sentry/mm/memory_manager.h"

namespace sentry::kernel {

namespace {

thread_local Task* current_task = nullptr;

using fs::procfs::ProcEntry;

ProcEntry Entry(std::string name, uint32_t mode, uint32_t uid) {
  return ProcEntry{std::move(name), mode, uid, 0};
}

// Linux's task state letter.
// 'R' for a group with a thread in application code or making this very
// call (reading its own stat), 'S' when every thread waits in the sentry.
char StateOf(const ThreadGroup& tg) {
  if (tg.zombie) return 'Z';
  if (tg.stopped) return 'T';
  Task* self = current_task;
  for (Task* t : tg.tasks) {
    if (t == self || t->running_app.load(std::memory_order_relaxed)) {
      return 'R';
    }
  }
  return 'S';
}

// The thread of `tg` named by a "task/<tid>" path prefix, or the leader.
Task* ThreadOf(ThreadGroup& tg, absl::string_view path,
               absl::string_view* rest) {
  *rest = path;
  if (!absl::ConsumePrefix(rest, "task/")) return tg.leader;
  std::pair<absl::string_view, absl::string_view> p =
      absl::StrSplit(*rest, absl::MaxSplits('/', 1));
  int tid;
  if (!absl::SimpleAtoi(p.first, &tid)) return nullptr;
  *rest = p.second;
  for (Task* t : tg.tasks) {
    if (t->tid() == tid) return t;
  }
  return nullptr;
}

std::string Status(ThreadGroup& tg, Task& t) {
  CredentialsRef c = t.creds();
  SigSet ign, cgt;
  for (int s = 1; s <= kMaxSignal; ++s) {
    uint64_t h = tg.handlers->actions[s].handler;
    if (h == kSigIgn) ign.Add(s);
    if (h != kSigIgn && h != kSigDfl) cgt.Add(s);
  }
  int ppid = tg.parent ? tg.parent->tgid : 0;
  std::string out = absl::StrFormat(
      "Name:\t%s\nUmask:\t0022\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\n"
      "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
      "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t%s\nNStgid:\t%d\n"
      "NSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nThreads:\t%d\n"
      "SigQ:\t0/%d\nSigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\n"
      "SigIgn:\t%016x\nSigCgt:\t%016x\nCapInh:\t%016x\nCapPrm:\t%016x\n"
      "CapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\nNoNewPrivs:\t%d\n"
      "Seccomp:\t0\n",
      t.name(), StateOf(tg),
      StateOf(tg) == 'Z'   ? "zombie"
      : StateOf(tg) == 'T' ? "stopped"
      : StateOf(tg) == 'R' ? "running"
                           : "sleeping",
      tg.tgid, t.tid(), ppid, c->real_uid, c->effective_uid, c->saved_uid,
      c->fs_uid, c->real_gid, c->effective_gid, c->saved_gid, c->fs_gid,
      absl::StrJoin(c->groups, " "), tg.tgid, t.tid(),
      tg.pgrp ? tg.pgrp->pgid : 0, tg.pgrp ? tg.pgrp->session->sid : 0,
      static_cast<int>(tg.tasks.size()),
      static_cast<int>(tg.rlimits[RLIMIT_SIGPENDING].rlim_cur),
      t.pending.Pending().bits(), tg.pending.Pending().bits(), t.mask.bits(),
      ign.bits(), cgt.bits(), c->cap_inheritable, c->cap_permitted,
      c->cap_effective, c->cap_bounding, c->cap_ambient,
      t.no_new_privs ? 1 : 0);
  return out;
}

std::string Stat(ThreadGroup& tg, Task& t) {
  constexpr int64_t kNsPerTick = 10000000;
  int ppid = tg.parent ? tg.parent->tgid : 0;
  int64_t start =
      absl::ToInt64Nanoseconds(tg.start_time - absl::UnixEpoch()) / kNsPerTick;
  // Fields after the name, as proc(5) numbers them (3..52).
  return absl::StrFormat(
      "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 %d %d %d %d 20 0 %d 0 %d 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 "
      "0 0 0\n",
      t.tid(), t.name(), StateOf(tg), ppid, tg.pgrp ? tg.pgrp->pgid : 0,
      tg.pgrp ? tg.pgrp->session->sid : 0, t.utime_ns / kNsPerTick,
      t.stime_ns / kNsPerTick, tg.child_utime_ns / kNsPerTick,
      tg.child_stime_ns / kNsPerTick, static_cast<int>(tg.tasks.size()), start);
}

std::string Nul(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    out += s;
    out += '\0';
  }
  return out;
}

}  // namespace

Task* CurrentTask() { return current_task; }
void SetCurrentTask(Task* t) { current_task = t; }

std::vector<int> KernelProcessProvider::Tgids() {
  absl::MutexLock l(k_->mu());
  std::vector<int> out;
  for (auto& [tgid, tg] : k_->pidns().thread_groups) out.push_back(tgid);
  return out;  // std::map: ascending
}

int KernelProcessProvider::CallerTgid() {
  Task* t = CurrentTask();
  return t != nullptr ? t->tg().tgid : 0;
}

int KernelProcessProvider::CallerTid() {
  Task* t = CurrentTask();
  return t != nullptr ? t->tid() : 0;
}

ErrnoOr<std::vector<ProcEntry>> KernelProcessProvider::List(
    int tgid, absl::string_view dir) {
  if (files_ != nullptr) {
    std::shared_ptr<ForkableResource> files, fs;
    absl::string_view rest;
    if (Resources(tgid, dir, &files, &fs, &rest).ok() &&
        (rest == "fd" || rest == "fdinfo")) {
      uint32_t uid;
      {
        absl::MutexLock l(k_->mu());
        ThreadGroup* tg = k_->pidns().FindThreadGroup(tgid);
        if (tg == nullptr || tg->leader == nullptr) return Errno{ENOENT};
        uid = tg->leader->creds()->effective_uid;
      }
      std::vector<ProcEntry> out;
      if (files == nullptr) return out;
      // Outside the kernel mu: the fd table has its own lock.
      for (int fd : files_->Fds(*files)) {
        out.push_back(Entry(absl::StrCat(fd),
                            rest == "fd" ? (S_IFLNK | 0700) : (S_IFREG | 0400),
                            uid));
      }
      return out;
    }
  }
  absl::MutexLock l(k_->mu());
  ThreadGroup* tg = k_->pidns().FindThreadGroup(tgid);
  if (tg == nullptr || tg->leader == nullptr) return Errno{ENOENT};
  uint32_t uid = tg->leader->creds()->effective_uid;
  std::vector<ProcEntry> out;
  auto files = [&](bool process) {
    out.push_back(Entry("status", S_IFREG | 0444, uid));
    out.push_back(Entry("stat", S_IFREG | 0444, uid));
    out.push_back(Entry("comm", S_IFREG | 0644, uid));
    out.push_back(Entry("cmdline", S_IFREG | 0444, uid));
    out.push_back(Entry("environ", S_IFREG | 0400, uid));
    out.push_back(Entry("maps", S_IFREG | 0444, uid));
    out.push_back(Entry("exe", S_IFLNK | 0777, uid));
    if (files_ != nullptr) {
      out.push_back(Entry("fd", S_IFDIR | 0500, uid));
      out.push_back(Entry("fdinfo", S_IFDIR | 0500, uid));
      out.push_back(Entry("cwd", S_IFLNK | 0777, uid));
      out.push_back(Entry("root", S_IFLNK | 0777, uid));
      out.push_back(Entry("mounts", S_IFREG | 0444, uid));
    }
    if (process) out.push_back(Entry("task", S_IFDIR | 0555, uid));
  };
  if (dir.empty()) {
    files(true);
    return out;
  }

  if (dir == "task") {
    for (Task* t : tg->tasks) {
      out.push_back(Entry(absl::StrCat(t->tid()), S_IFDIR | 0555, uid));
    }
    return out;
  }
  absl::string_view rest;
  Task* t = ThreadOf(*tg, dir, &rest);
  if (t == nullptr || !rest.empty()) return Errno{ENOENT};
  files(false);
  return out;
}

ErrnoStatus KernelProcessProvider::Resources(
    int tgid, absl::string_view path, std::shared_ptr<ForkableResource>* files,
    std::shared_ptr<ForkableResource>* fs, absl::string_view* rest) {
  absl::MutexLock l(k_->mu());
  ThreadGroup* tg = k_->pidns().FindThreadGroup(tgid);
  if (tg == nullptr || tg->leader == nullptr || tg->zombie) {
    return Errno{ENOENT};
  }
  Task* t = ThreadOf(*tg, path, rest);
  if (t == nullptr) return Errno{ENOENT};
  *files = t->files;
  *fs = t->fs;
  return OkErrno();
}

ErrnoOr<std::string> KernelProcessProvider::Read(int tgid,
                                                 absl::string_view path) {
  if (files_ != nullptr) {
    std::shared_ptr<ForkableResource> files, fs;
    absl::string_view rest;
    if (Resources(tgid, path, &files, &fs, &rest).ok()) {
      if (rest == "mounts") {
        if (fs == nullptr) return std::string();
        return files_->Mounts(*fs);
      }
      if (absl::ConsumePrefix(&rest, "fdinfo/")) {
        int fd;
        if (files == nullptr || !absl::SimpleAtoi(rest, &fd)) {
          return Errno{ENOENT};
        }
        return files_->FdInfo(*files, fd);
      }
    }
  }
  std::shared_ptr<UserMemory> mm;
  {
    absl::MutexLock l(k_->mu());
    ThreadGroup* tg = k_->pidns().FindThreadGroup(tgid);
    if (tg == nullptr || tg->leader == nullptr) return Errno{ENOENT};
    absl::string_view file;
    Task* t = ThreadOf(*tg, path, &file);
    if (t == nullptr) return Errno{ENOENT};
    if (file == "status") return Status(*tg, *t);
    if (file == "stat") return Stat(*tg, *t);
    if (file == "comm") return t->name() + "\n";
    if (file == "cmdline") return tg->zombie ? std::string() : Nul(tg->argv);
    if (file == "environ") return tg->zombie ? std::string() : Nul(tg->envp);
    if (file != "maps") return Errno{ENOENT};
    if (tg->zombie) return std::string();
    mm = t->mm_ref();
  }
  // Outside the kernel mu: the memory manager has its own lock.
  mm::MemoryManager* m = mm ? mm->memory_manager() : nullptr;
  return m != nullptr ? m->MapsText() : std::string();
}

ErrnoOr<std::string> KernelProcessProvider::ReadLink(int tgid,
                                                     absl::string_view path) {
  if (files_ != nullptr) {
    std::shared_ptr<ForkableResource> files, fs;
    absl::string_view rest;
    RETURN_IF_ERRNO(Resources(tgid, path, &files, &fs, &rest));
    if (rest == "cwd" || rest == "root") {
      if (fs == nullptr) return Errno{ENOENT};
      return files_->FsLink(*fs, rest == "root");
    }
    if (absl::ConsumePrefix(&rest, "fd/")) {
      int fd;
      if (files == nullptr || !absl::SimpleAtoi(rest, &fd)) {
        return Errno{ENOENT};
      }
      return files_->FdLink(*files, fs.get(), fd);
    }
  }
  absl::MutexLock l(k_->mu());
  ThreadGroup* tg = k_->pidns().FindThreadGroup(tgid);
  if (tg == nullptr) return Errno{ENOENT};
  absl::string_view file;
  if (ThreadOf(*tg, path, &file) == nullptr || file != "exe") {
    return Errno{ENOENT};
  }
  if (tg->exe.empty() || tg->zombie) return Errno{ENOENT};
  return tg->exe;
}

std::shared_ptr<vfs::FileDescription> KernelProcessProvider::MagicLink(
    int tgid, absl::string_view path) {
  if (files_ == nullptr) return nullptr;
  std::shared_ptr<ForkableResource> files, fs;
  absl::string_view rest;
  if (!Resources(tgid, path, &files, &fs, &rest).ok()) return nullptr;
  if (rest == "cwd" || rest == "root") {
    return fs != nullptr ? files_->FsFile(*fs, rest == "root") : nullptr;
  }
  int fd;
  if (absl::ConsumePrefix(&rest, "fd/") && files != nullptr &&
      absl::SimpleAtoi(rest, &fd)) {
    return files_->FdFile(*files, fd);
  }
  return nullptr;
}

}  // namespace sentry::kernel
