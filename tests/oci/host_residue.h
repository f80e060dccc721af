// Host-side observations for the fault and stress tests: which processes
// exist (by pid, parent, command line), what the mount table and the test's
// descriptor table hold, what a directory contains. Everything reads /proc
// of the host; nothing here changes state.
//
// Zombies count as gone: processes reparented to this VM's init are never
// reaped there (an artifact of the test machine, not of the runtime).
#ifndef TESTS_OCI_HOST_RESIDUE_H_
#define TESTS_OCI_HOST_RESIDUE_H_

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace oci_test {

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  uint64_t start_time = 0;
};

inline std::string SlurpFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// /proc/<pid>/stat parsed past the command name (which may hold spaces).
inline bool ReadProcInfo(pid_t pid, ProcInfo* out) {
  std::string text = SlurpFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return false;
  std::vector<absl::string_view> f = absl::StrSplit(
      absl::string_view(text).substr(close + 2), ' ', absl::SkipEmpty());
  if (f.size() < 20 || f[0].empty()) return false;
  out->pid = pid;
  out->state = f[0][0];
  int ppid = 0;
  if (!absl::SimpleAtoi(f[1], &ppid)) return false;
  out->ppid = ppid;
  return absl::SimpleAtoi(f[19], &out->start_time);
}

// Every pid in /proc.
inline std::vector<pid_t> AllPids() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int pid;
    if (absl::SimpleAtoi(e->d_name, &pid)) out.push_back(pid);
  }
  closedir(d);
  return out;
}

// A live (non-zombie) process; with start_time != 0 it must also be the same
// process (not a reuse of the pid).
inline bool Alive(pid_t pid, uint64_t start_time = 0) {
  ProcInfo p;
  if (pid <= 0 || !ReadProcInfo(pid, &p)) return false;
  if (p.state == 'Z' || p.state == 'X') return false;
  return start_time == 0 || p.start_time == start_time;
}

inline uint64_t StartTime(pid_t pid) {
  ProcInfo p;
  return ReadProcInfo(pid, &p) ? p.start_time : 0;
}

// Live children of `parent` (for a sandbox: its ptrace stubs).
inline std::vector<pid_t> LiveChildren(pid_t parent) {
  std::vector<pid_t> out;
  for (pid_t pid : AllPids()) {
    ProcInfo p;
    if (ReadProcInfo(pid, &p) && p.ppid == parent && p.state != 'Z' &&
        p.state != 'X') {
      out.push_back(pid);
    }
  }
  return out;
}

// Live processes (not this one) whose command line contains `needle`.
inline std::vector<pid_t> LiveProcessesMentioning(const std::string& needle) {
  std::vector<pid_t> out;
  for (pid_t pid : AllPids()) {
    if (pid == getpid() || !Alive(pid)) continue;
    std::string cmd = SlurpFile(absl::StrCat("/proc/", pid, "/cmdline"));
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(needle) != std::string::npos) out.push_back(pid);
  }
  return out;
}

inline int OpenFdCount() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (d != nullptr && readdir(d) != nullptr) ++n;
  if (d != nullptr) closedir(d);
  return n;
}

// Entry names of a directory (without . and ..); empty if it is missing.
inline std::set<std::string> DirEntries(const std::string& path) {
  std::set<std::string> out;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  closedir(d);
  return out;
}

// Lines of a mount table (/proc/self/mountinfo, /proc/1/mountinfo).
inline std::set<std::string> MountLines(const std::string& path) {
  std::set<std::string> out;
  for (absl::string_view l : absl::StrSplit(SlurpFile(path), '\n')) {
    if (!l.empty()) out.insert(std::string(l));
  }
  return out;
}

// Lines of `after` that are not in `before` and contain one of `needles`.
inline std::vector<std::string> NewLinesMentioning(
    const std::set<std::string>& before, const std::set<std::string>& after,
    const std::vector<std::string>& needles) {
  std::vector<std::string> out;
  for (const std::string& l : after) {
    if (before.count(l) != 0) continue;
    for (const std::string& n : needles) {
      if (l.find(n) != std::string::npos) {
        out.push_back(l);
        break;
      }
    }
  }
  return out;
}

// Polls `done` every 10 ms until it holds or `seconds` pass. Generous
// deadlines only: this bounds a wait, it asserts nothing about speed.
inline bool PollUntil(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (done()) return true;
    usleep(10000);
  }
  return done();
}

}  // namespace oci_test

#endif  // TESTS_OCI_HOST_RESIDUE_H_
