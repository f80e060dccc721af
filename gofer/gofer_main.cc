#include "gofer/gofer_main.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/sanitizers.h"
#include "base/status_macros.h"
#include "gofer/server.h"

namespace gofer {

// CAP_CHOWN: new files get the sandbox user's owner; setattr uid/gid.
// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: the sentry checks permissions with
//   the sandbox's credentials; the gofer must then be able to do what the
//   sentry allowed (e.g. sandbox root reading another user's 0600 file).
// CAP_FOWNER: chmod, utimes and xattrs on files the gofer's uid does not own.
// CAP_FSETID: chmod keeps set-group-ID where the sandbox asked for it.
// Not kept: CAP_MKNOD (device nodes are refused), CAP_SYS_CHROOT and
// CAP_SYS_ADMIN (confinement is finished before the drop), everything else.
const std::vector<int> kKeptCapabilities = {
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID};

namespace {

std::string ProcFdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

// Opens `path` inside the root `root` (symlinks resolved as if `root` were
// "/", never leaving it).
absl::StatusOr<base::UniqueFd> OpenInRoot(int root, const std::string& path,
                                          int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path;
  rel.erase(0, rel.find_first_not_of('/'));
  if (rel.empty()) rel = ".";
  int fd = static_cast<int>(
      syscall(SYS_openat2, root, rel.c_str(), &how, sizeof(how)));
  if (fd < 0) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  return base::UniqueFd(fd);
}

// Creates the mount point `dest` inside `root` (directories along the way;
// the last one a directory or an empty file, to match the source).
absl::Status MakeMountPoint(int root, const std::string& dest, bool is_dir) {
  std::vector<std::string> parts = absl::StrSplit(dest, '/', absl::SkipEmpty());
  if (parts.empty()) return absl::OkStatus();
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    ASSIGN_OR_RETURN(
        base::UniqueFd parent,
        OpenInRoot(root, prefix.empty() ? "/" : prefix, O_PATH | O_DIRECTORY));
    bool last = i + 1 == parts.size();
    const std::string& name = parts[i];
    if (name == "..") return base::ErrnoStatus(EINVAL, "'..' in destination");
    int rc;
    if (!last || is_dir) {
      rc = mkdirat(parent.get(), name.c_str(), 0755);
    } else {
      rc = mknodat(parent.get(), name.c_str(), S_IFREG | 0644, 0);
    }
    if (rc != 0 && errno != EEXIST) {
      return base::ErrnoStatus(errno, absl::StrCat("mkdir ", dest));
    }
    prefix += "/" + name;
  }
  return absl::OkStatus();
}

struct MountFlags {
  unsigned long bind = MS_BIND;
  bool read_only = false;
  unsigned long extra = 0;        // MS_NOSUID | MS_NODEV | MS_NOEXEC
  unsigned long propagation = 0;  // MS_PRIVATE... | MS_REC
};

MountFlags ParseOptions(const std::vector<std::string>& options) {
  MountFlags f;
  for (const std::string& o : options) {
    if (o == "ro")
      f.read_only = true;
    else if (o == "rw")
      f.read_only = false;
    else if (o == "rbind")
      f.bind = MS_BIND | MS_REC;
    else if (o == "nosuid")
      f.extra |= MS_NOSUID;
    else if (o == "nodev")
      f.extra |= MS_NODEV;
    else if (o == "noexec")
      f.extra |= MS_NOEXEC;
    else if (o == "private")
      f.propagation = MS_PRIVATE;
    else if (o == "rprivate")
      f.propagation = MS_PRIVATE | MS_REC;
    else if (o == "slave")
      f.propagation = MS_SLAVE;
    else if (o == "rslave")
      f.propagation = MS_SLAVE | MS_REC;
    else if (o == "shared")
      f.propagation = MS_SHARED;
    else if (o == "rshared")
      f.propagation = MS_SHARED | MS_REC;
    else if (o == "unbindable")
      f.propagation = MS_UNBINDABLE;
    else if (o == "runbindable")
      f.propagation = MS_UNBINDABLE | MS_REC;
  }
  return f;
}

absl::Status Mount(const char* source, const std::string& target,
                   unsigned long flags, const std::string& what) {
  if (mount(source, target.c_str(), nullptr, flags, nullptr) != 0) {
    return base::ErrnoStatus(errno, what);
  }
  return absl::OkStatus();
}

// Applies one bind mount under `root`; the target is named through a
// descriptor so that nothing can redirect it after it was resolved.
absl::Status ApplyBindMount(int root, const GoferMount& m) {
  struct stat src;
  if (stat(m.source.c_str(), &src) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("stat ", m.source));
  }
  RETURN_IF_ERROR(MakeMountPoint(root, m.destination, S_ISDIR(src.st_mode)));
  MountFlags f = ParseOptions(m.options);
  {
    ASSIGN_OR_RETURN(base::UniqueFd target,
                     OpenInRoot(root, m.destination, O_PATH));
    RETURN_IF_ERROR(
        Mount(m.source.c_str(), ProcFdPath(target.get()), f.bind,
              absl::StrCat("bind ", m.source, " on ", m.destination)));
  }
  // Reopened: the descriptor must now name the new mount's root.
  ASSIGN_OR_RETURN(base::UniqueFd mnt, OpenInRoot(root, m.destination, O_PATH));
  if (f.read_only || f.extra != 0) {
    unsigned long flags = MS_REMOUNT | MS_BIND | f.extra;
    if (f.read_only) flags |= MS_RDONLY;
    RETURN_IF_ERROR(Mount(nullptr, ProcFdPath(mnt.get()), flags,
                          absl::StrCat("remount ", m.destination)));
  }
  if (f.propagation != 0) {
    RETURN_IF_ERROR(Mount(nullptr, ProcFdPath(mnt.get()), f.propagation,
                          absl::StrCat("propagation of ", m.destination)));
  }
  return absl::OkStatus();
}

absl::Status PivotInto(const std::string& rootfs) {
  if (chdir(rootfs.c_str()) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("chdir ", rootfs));
  }
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    // The old root is stacked on "."; detach it.
    if (umount2(".", MNT_DETACH) != 0) {
      return base::ErrnoStatus(errno, "umount old root");
    }
  } else {
    LOG(WARNING) << "gofer: pivot_root failed (errno " << errno
                 << "); falling back to chroot";
    if (chroot(".") != 0) return base::ErrnoStatus(errno, "chroot");
  }
  if (chdir("/") != 0) return base::ErrnoStatus(errno, "chdir /");
  return absl::OkStatus();
}

absl::Status CloseAllExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int next = 0;
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned int>(fd) < next) continue;
    if (static_cast<unsigned int>(fd) > next &&
        close_range(next, static_cast<unsigned int>(fd) - 1, 0) != 0) {
      return base::ErrnoStatus(errno, "close_range");
    }
    next = static_cast<unsigned int>(fd) + 1;
  }
  if (close_range(next, ~0U, 0) != 0) {
    return base::ErrnoStatus(errno, "close_range");
  }
  return absl::OkStatus();
}

absl::Status DropCapabilities() {
  auto kept = [](int cap) {
    return std::find(kKeptCapabilities.begin(), kKeptCapabilities.end(), cap) !=
           kKeptCapabilities.end();
  };
  // The bounding set first, while CAP_SETPCAP is still ours. EINVAL marks
  // the end of the capabilities this kernel knows.
  for (int cap = 0; cap < 64; ++cap) {
    if (kept(cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;
      if (errno == EPERM) continue;  // no CAP_SETPCAP: capset still limits us
      return base::ErrnoStatus(errno, "PR_CAPBSET_DROP");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {
    return base::ErrnoStatus(errno, "PR_CAP_AMBIENT_CLEAR_ALL");
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) {
    return base::ErrnoStatus(errno, "capget");
  }
  struct __user_cap_data_struct want[2] = {};
  for (int cap : kKeptCapabilities) {
    uint32_t bit = 1u << (cap % 32);
    if (data[cap / 32].permitted & bit) {
      want[cap / 32].permitted |= bit;
      want[cap / 32].effective |= bit;
    }
  }
  if (syscall(SYS_capset, &hdr, want) != 0) {
    return base::ErrnoStatus(errno, "capset");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InstallGoferFilter() {
  base::PrepareSanitizerForSandbox();
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (ctx == nullptr) return base::ErrnoStatus(ENOMEM, "seccomp_init");
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> guard(ctx, seccomp_release);
  // What the server, glibc, the allocator and thread creation need.
  static const int kAllowed[] = {
      // Requests and replies.
      SCMP_SYS(recvmsg),
      SCMP_SYS(sendmsg),
      // File operations (all descriptor-relative).
      SCMP_SYS(openat),
      SCMP_SYS(openat2),
      SCMP_SYS(close),
      SCMP_SYS(fcntl),
      SCMP_SYS(newfstatat),
      SCMP_SYS(fstat),
      SCMP_SYS(statx),
      SCMP_SYS(fstatfs),
      SCMP_SYS(getdents64),
      SCMP_SYS(lseek),
      SCMP_SYS(readlinkat),
      SCMP_SYS(mkdirat),
      SCMP_SYS(mknodat),
      SCMP_SYS(symlinkat),
      SCMP_SYS(linkat),
      SCMP_SYS(unlinkat),
      SCMP_SYS(renameat),
      SCMP_SYS(renameat2),
      SCMP_SYS(fchownat),
      SCMP_SYS(fchown),
      SCMP_SYS(fchmodat),
      SCMP_SYS(utimensat),
      SCMP_SYS(ftruncate),
      SCMP_SYS(fsync),
      SCMP_SYS(fdatasync),
      SCMP_SYS(fgetxattr),
      SCMP_SYS(fsetxattr),
      SCMP_SYS(flistxattr),
      SCMP_SYS(fremovexattr),
      // Logging.
      SCMP_SYS(write),
      SCMP_SYS(writev),
      SCMP_SYS(getpid),
      SCMP_SYS(gettid),
      SCMP_SYS(clock_gettime),
      SCMP_SYS(gettimeofday),
      // Memory, threads, synchronisation, process end.
      SCMP_SYS(brk),
      SCMP_SYS(munmap),
      SCMP_SYS(mremap),
      SCMP_SYS(madvise),
      SCMP_SYS(futex),
      SCMP_SYS(set_robust_list),
      SCMP_SYS(rseq),
      SCMP_SYS(rt_sigprocmask),
      SCMP_SYS(rt_sigreturn),
      SCMP_SYS(sched_yield),
      // glibc's malloc asks for the CPU count (get_nprocs) when threads
      // contend for more than 8 arenas: a gofer serving many mounts has
      // that many threads.
      SCMP_SYS(sched_getaffinity),
      SCMP_SYS(nanosleep),
      SCMP_SYS(clock_nanosleep),
      SCMP_SYS(getrandom),
      SCMP_SYS(restart_syscall),
      SCMP_SYS(exit),
      SCMP_SYS(exit_group),
  };
  for (int nr : kAllowed) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); rc != 0) {
      return base::ErrnoStatus(-rc, absl::StrCat("seccomp_rule_add ", nr));
    }
  }
  if constexpr (base::kSanitized) {
    for (int nr : {SCMP_SYS(pipe2), SCMP_SYS(sigaltstack)}) {
      if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); rc != 0) {
        return base::ErrnoStatus(-rc, absl::StrCat("seccomp_rule_add ", nr));
      }
    }
  }
  // Never executable memory.
  for (int nr : {SCMP_SYS(mmap), SCMP_SYS(mprotect)}) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
        rc != 0) {
      return base::ErrnoStatus(-rc, "seccomp_rule_add mmap");
    }
  }
  // Threads only, never new processes. clone3 hides its flags behind a
  // pointer, so it gets ENOSYS and glibc falls back to clone.
  if (int rc = seccomp_rule_add(
          ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
      rc != 0) {
    return base::ErrnoStatus(-rc, "seccomp_rule_add clone");
  }
  // glibc installs its internal SIGCANCEL/SIGSETXID handlers (32 and 33) when
  // the first thread is created; no other handler may change.
  for (scmp_datum_t sig : {32u, 33u}) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction),
                                  1, SCMP_A0(SCMP_CMP_EQ, sig));
        rc != 0) {
      return base::ErrnoStatus(-rc, "seccomp_rule_add rt_sigaction");
    }
  }
  if (int rc =
          seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
      rc != 0) {
    return base::ErrnoStatus(-rc, "seccomp_rule_add clone3");
  }
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    return base::ErrnoStatus(-rc, "seccomp TSYNC");
  }
  if (int rc = seccomp_load(ctx); rc != 0) {
    return base::ErrnoStatus(-rc, "seccomp_load");
  }
  return absl::OkStatus();
}

absl::Status RunGofer(const GoferConfig& config) {
  std::vector<base::UniqueFd> conns;
  for (int fd : config.connection_fds) conns.emplace_back(fd);
  if (config.rootfs.empty() || config.rootfs[0] != '/') {
    return base::ErrnoStatus(EINVAL, "gofer: rootfs must be an absolute path");
  }
  for (const GoferMount& m : config.mounts) {
    if (m.type != "bind" && m.type != "none") {
      return base::ErrnoStatus(
          EINVAL, absl::StrCat("gofer: cannot serve a ", m.type, " mount"));
    }
  }
  std::vector<ServedMount> served;
  if (config.setup_namespaces) {
    if (unshare(CLONE_NEWNS) != 0) {
      return base::ErrnoStatus(errno, "unshare(CLONE_NEWNS)");
    }
    RETURN_IF_ERROR(
        Mount(nullptr, "/", MS_REC | MS_PRIVATE, "make mounts private"));
    RETURN_IF_ERROR(Mount(config.rootfs.c_str(), config.rootfs,
                          MS_BIND | MS_REC, "bind rootfs"));
    ASSIGN_OR_RETURN(ServedMount root, OpenServedMount(config.rootfs, false));
    for (const GoferMount& m : config.mounts) {
      RETURN_IF_ERROR(ApplyBindMount(root.root.get(), m));
    }
    if (config.rootfs_read_only) {
      RETURN_IF_ERROR(Mount(nullptr, config.rootfs,
                            MS_REMOUNT | MS_BIND | MS_RDONLY,
                            "remount rootfs read-only"));
    }
    // Reopened after every mount so that each root names its mount.
    ASSIGN_OR_RETURN(root,
                     OpenServedMount(config.rootfs, config.rootfs_read_only));
    int root_fd = root.root.get();
    served.push_back(std::move(root));
    for (const GoferMount& m : config.mounts) {
      ASSIGN_OR_RETURN(base::UniqueFd fd,
                       OpenInRoot(root_fd, m.destination, O_PATH));
      served.push_back(
          ServedMount{std::move(fd), ParseOptions(m.options).read_only});
    }
  } else {
    ASSIGN_OR_RETURN(ServedMount root,
                     OpenServedMount(config.rootfs, config.rootfs_read_only));
    served.push_back(std::move(root));
    for (const GoferMount& m : config.mounts) {
      ASSIGN_OR_RETURN(
          ServedMount s,
          OpenServedMount(m.source, ParseOptions(m.options).read_only));
      served.push_back(std::move(s));
    }
  }
  // Created before pivot_root: it keeps /proc/self/fd open.
  ASSIGN_OR_RETURN(std::unique_ptr<Server> server,
                   Server::Create(std::move(served)));
  if (config.setup_namespaces) RETURN_IF_ERROR(PivotInto(config.rootfs));

  std::vector<int> keep = server->HeldDescriptors();
  for (const base::UniqueFd& c : conns) keep.push_back(c.get());
  if (config.log_fd >= 0) keep.push_back(config.log_fd);
  RETURN_IF_ERROR(CloseAllExcept(std::move(keep)));

  // Every handle is a descriptor: allow as many as the hard limit does.
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
      nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (config.drop_capabilities) RETURN_IF_ERROR(DropCapabilities());
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return base::ErrnoStatus(errno, "PR_SET_NO_NEW_PRIVS");
  }
  if (config.install_seccomp) RETURN_IF_ERROR(InstallGoferFilter());
  return server->ServeAll(std::move(conns));
}

}  // namespace gofer
