// Escape attempts, run inside the sandbox by tests/security/cases.sh (and
// natively, to show what each would do on the host). Each mode prints
// "key=value" lines that the cases assert on; nothing here decides pass or
// fail, so the same binary documents host behaviour too.
//
//   escape_probe int80             getpid through `int $0x80` (i386 ABI)
//   escape_probe int80-disguised   i386 mkdir(NULL) through `int $0x80`,
//                                  rcx/r11 set as `syscall` leaves them
//   escape_probe jit-syscall PATH  getpid and openat(PATH) issued by a
//                                  `syscall` instruction on a freshly mapped
//                                  executable page
//   escape_probe open PATH         open PATH and ways around the root:
//                                  "..", /proc/self/root, /proc/1/root, a
//                                  symlink in /tmp
//   escape_probe ptrace-init       PTRACE_ATTACH to PID 1 from a child
//   escape_probe fds               the descriptors open at start
//   escape_probe proc-scan REKRAM  every /proc/<pid>: is MARKER (given
//                                  reversed, so that the probe's own
//                                  cmdline does not hold it) in its environ
//                                  or cmdline? (a host secret)
//
// Static, so that it runs in a bare busybox bundle.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// i386 getpid is 20; x86-64 20 is writev. rdi = -1 makes a misread as
// x86-64 writev(-1, ...) fail with EBADF, which tells the two apart.
long Int80Getpid() {
  long ret;
  asm volatile(
      "mov $-1, %%rdi\n\t"
      "int $0x80"
      : "=a"(ret)
      : "a"(20L), "b"(0L), "c"(0L), "d"(0L)
      : "rdi", "memory", "cc");
  return ret;
}

// `int $0x80` with eax = 39 (i386 mkdir, here mkdir(NULL): -EFAULT), and
// rcx and r11 as a `syscall` instruction leaves them (rcx = the next rip,
// r11 = rflags): a platform that tells the two entries apart by those
// registers alone takes it for x86-64 syscall 39, getpid.
long Int80MkdirDisguised() {
  long ret;
  asm volatile(
      "mov $-1, %%rdi\n\t"
      "lea 1f(%%rip), %%rcx\n\t"
      "pushfq\n\t"
      "pop %%r11\n\t"
      "int $0x80\n"
      "1:"
      : "=a"(ret)
      : "a"(39L), "b"(0L), "d"(0L)
      : "rdi", "rcx", "r11", "memory", "cc");
  return ret;
}

int RunInt80Disguised() {
  std::printf("libc_getpid=%d\n", getpid());
  std::fflush(stdout);
  long r = Int80MkdirDisguised();
  std::printf("int80_result=%ld\n", r);
  return 0;
}

int RunInt80() {
  std::printf("libc_getpid=%d\n", getpid());
  std::fflush(stdout);
  long r = Int80Getpid();
  // Reached only when the call returned at all.
  std::printf("int80_result=%ld\n", r);
  return 0;
}

// Machine code: mov %rdi,%rax; mov %rsi,%rdi; mov %rdx,%rsi; mov %rcx,%rdx;
// syscall; ret — a tiny syscall(nr, a, b, c) on an anonymous page.
constexpr unsigned char kSyscallThunk[] = {
    0x48, 0x89, 0xf8,  // mov %rdi,%rax
    0x48, 0x89, 0xf7,  // mov %rsi,%rdi
    0x48, 0x89, 0xd6,  // mov %rdx,%rsi
    0x48, 0x89, 0xca,  // mov %rcx,%rdx
    0x0f, 0x05,        // syscall
    0xc3,              // ret
};

int RunJitSyscall(const char* path) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    std::printf("mmap_errno=%d\n", errno);
    return 1;
  }
  std::memcpy(page, kSyscallThunk, sizeof(kSyscallThunk));
  if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) {
    std::printf("mprotect_errno=%d\n", errno);
    return 1;
  }
  using Thunk = long (*)(long, long, long, long);
  auto thunk = reinterpret_cast<Thunk>(page);
  std::printf("libc_getpid=%d\n", getpid());
  std::printf("jit_getpid=%ld\n", thunk(SYS_getpid, 0, 0, 0));
  long fd = thunk(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY);
  std::printf("jit_openat=%s\n", fd >= 0 ? "opened" : strerrorname_np(-fd));
  if (fd >= 0) {
    char buf[64] = {};
    ssize_t n = read(static_cast<int>(fd), buf, sizeof(buf) - 1);
    std::printf("jit_read=%s\n", n > 0 ? buf : "");
  }
  return 0;
}

void TryOpen(const char* label, const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    std::printf("%s=%s\n", label, strerrorname_np(errno));
    return;
  }
  char buf[64] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  // Strip the newline so that the line stays one line.
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
  std::printf("%s=opened:%s\n", label, n > 0 ? buf : "");
}

int RunOpen(const char* path) {
  std::string p = path;
  TryOpen("direct", p);
  TryOpen("dotdot", "/../../../.." + p);
  TryOpen("proc_self_root", "/proc/self/root" + p);
  TryOpen("proc_1_root", "/proc/1/root" + p);
  TryOpen("proc_1_cwd", "/proc/1/cwd/../../../.." + p);
  unlink("/tmp/escape-link");
  if (symlink(("/../.." + p).c_str(), "/tmp/escape-link") == 0) {
    TryOpen("symlink", "/tmp/escape-link");
  } else {
    std::printf("symlink=%s\n", strerrorname_np(errno));
  }
  return 0;
}

int RunPtraceInit() {
  pid_t child = fork();
  if (child == 0) {
    long r = ptrace(PTRACE_ATTACH, 1, nullptr, nullptr);
    int err = errno;
    if (r == 0) {
      int status = 0;
      pid_t w = waitpid(1, &status, __WALL);
      std::printf("attach=ok waitpid=%d stopped=%d\n", w,
                  w == 1 && WIFSTOPPED(status));
      ptrace(PTRACE_DETACH, 1, nullptr, nullptr);
    } else {
      std::printf("attach=%s\n", strerrorname_np(err));
    }
    std::fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  std::printf("child_exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}

bool FileContains(const std::string& path, const char* marker) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  std::string data;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) data.append(buf, n);
  close(fd);
  return data.find(marker) != std::string::npos;
}

int RunProcScan(const char* reversed) {
  const std::string given = reversed;
  const std::string marker_str(given.rbegin(), given.rend());
  const char* marker = marker_str.c_str();
  DIR* d = opendir("/proc");
  if (d == nullptr) {
    std::printf("opendir=%s\n", strerrorname_np(errno));
    return 1;
  }
  int count = 0, max_pid = 0, leaks = 0;
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    ++count;
    if (pid > max_pid) max_pid = static_cast<int>(pid);
    std::string base = std::string("/proc/") + e->d_name;
    if (FileContains(base + "/environ", marker) ||
        FileContains(base + "/cmdline", marker)) {
      std::printf("leak=%s\n", e->d_name);
      ++leaks;
    }
  }
  closedir(d);
  std::printf("pids=%d max_pid=%d leaks=%d\n", count, max_pid, leaks);
  return 0;
}

// Which descriptors are open at start: a runtime that leaks one of its own
// (a gofer socket, the control socket, a host directory) shows it here.
int RunFds() {
  std::string open_fds;
  for (int fd = 0; fd < 1024; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) {
      open_fds += (open_fds.empty() ? "" : " ") + std::to_string(fd);
    }
  }
  std::printf("open_fds=%s\n", open_fds.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "int80") return RunInt80();
  if (mode == "int80-disguised") return RunInt80Disguised();
  if (mode == "jit-syscall" && argc > 2) return RunJitSyscall(argv[2]);
  if (mode == "open" && argc > 2) return RunOpen(argv[2]);
  if (mode == "ptrace-init") return RunPtraceInit();
  if (mode == "fds") return RunFds();
  if (mode == "proc-scan" && argc > 2) return RunProcScan(argv[2]);
  std::fprintf(stderr,
               "usage: escape_probe int80 | int80-disguised | jit-syscall PATH "
               "| open PATH | "
               "ptrace-init | proc-scan REKRAM | fds\n");
  return 2;
}
