#include "boot/sandbox_setup.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"

namespace boot {
namespace {

// Closes [lo, hi] (inclusive).
absl::Status CloseRange(unsigned lo, unsigned hi) {
  if (lo > hi) return absl::OkStatus();
  if (::syscall(SYS_close_range, lo, hi, 0) == 0) return absl::OkStatus();
  if (errno != ENOSYS) return base::ErrnoStatus(errno, "close_range");
  // Kernels before 5.9: close one by one up to the descriptor limit.
  long max = ::sysconf(_SC_OPEN_MAX);
  unsigned top = std::min<unsigned long>(hi, max > 0 ? max - 1 : 65535);
  for (unsigned fd = lo; fd <= top; ++fd) ::close(static_cast<int>(fd));
  return absl::OkStatus();
}

bool IsDirectory(const char* path) {
  struct stat st;
  return ::lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::Status CloseAllExcept(absl::Span<const int> keep) {
  std::vector<int> sorted(keep.begin(), keep.end());
  std::sort(sorted.begin(), sorted.end());
  unsigned next = 0;
  for (int fd : sorted) {
    if (fd < 0)
      return absl::InvalidArgumentError("negative descriptor to keep");
    if (static_cast<unsigned>(fd) < next) continue;  // duplicate
    if (static_cast<unsigned>(fd) > next) {
      RETURN_IF_ERROR(CloseRange(next, static_cast<unsigned>(fd) - 1));
    }
    next = static_cast<unsigned>(fd) + 1;
  }
  return CloseRange(next, UINT_MAX);
}

absl::Status UnshareNamespaces(bool host_network) {
  int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  if (!host_network) flags |= CLONE_NEWNET;
  if (::unshare(flags) != 0) {
    return base::ErrnoStatus(errno, "unshare(mount, ipc, uts, net)");
  }
  return absl::OkStatus();
}

absl::Status PivotToEmptyRoot() {
  // Nothing we mount may propagate back to the host, and the old root must
  // not be shared for pivot_root to accept it.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return base::ErrnoStatus(errno, "make / private");
  }
  // Any existing directory serves as the mount point: it is only visible in
  // our private mount namespace and is gone once the old root is detached.
  const char* target = nullptr;
  for (const char* d : {"/tmp", "/mnt", "/run", "/proc"}) {
    if (IsDirectory(d)) {
      target = d;
      break;
    }
  }
  if (target == nullptr) {
    return absl::FailedPreconditionError("no directory to mount the new root");
  }
  if (::mount("runsc-root", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=0555,size=16k,nr_inodes=8") != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("mount tmpfs on ", target));
  }
  if (::chdir(target) != 0) return base::ErrnoStatus(errno, "chdir new root");
  // pivot_root(".", "."): the old root ends up stacked on top of the new one
  // and is then detached, which needs no directory inside the new root.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    return base::ErrnoStatus(errno, "pivot_root");
  }
  if (::umount2(".", MNT_DETACH) != 0) {
    return base::ErrnoStatus(errno, "unmount old root");
  }
  if (::chdir("/") != 0) return base::ErrnoStatus(errno, "chdir /");
  if (::mount(nullptr, "/", nullptr,
              MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    return base::ErrnoStatus(errno, "remount new root read-only");
  }
  return absl::OkStatus();
}

absl::Status DropCapabilities(absl::Span<const int> keep) {
  auto kept = [&](int cap) {
    return std::find(keep.begin(), keep.end(), cap) != keep.end();
  };
  bool privileged = ::prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1;
  // Lock securebits first (needs CAP_SETPCAP): uid 0 gets no capabilities
  // back from execve or setuid, whatever happens later.
  if (privileged &&
      ::prctl(PR_SET_SECUREBITS,
              SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
              0, 0, 0) != 0 &&
      errno != EPERM) {
    return base::ErrnoStatus(errno, "PR_SET_SECUREBITS");
  }
  for (int cap = 0;; ++cap) {
    int r = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break;  // EINVAL past the last capability this kernel knows
    if (r == 0 || kept(cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      // Without CAP_SETPCAP (an unprivileged test run) the bounding set
      // cannot change, but then there is nothing in it we hold either.
      if (errno == EPERM && !privileged) break;
      return base::ErrnoStatus(errno, absl::StrCat("drop capability ", cap));
    }
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {
    return base::ErrnoStatus(errno, "clear ambient capabilities");
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  for (int cap : keep) {
    if (cap < 0 || cap >= 64) continue;
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (::syscall(SYS_capset, &hdr, data) != 0) {
    return base::ErrnoStatus(errno, "capset");
  }
  return absl::OkStatus();
}

absl::Status SetNoNewPrivs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return base::ErrnoStatus(errno, "PR_SET_NO_NEW_PRIVS");
  }
  return absl::OkStatus();
}

absl::Status FillStdioHoles() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int e = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e < 0) return base::ErrnoStatus(errno, "eventfd");
    if (e != fd) {
      int r = ::dup3(e, fd, O_CLOEXEC);
      ::close(e);
      if (r < 0) return base::ErrnoStatus(errno, "dup3");
    }
  }
  return absl::OkStatus();
}

absl::Status SetupSandbox(const SetupOptions& options) {
  RETURN_IF_ERROR(CloseAllExcept(options.keep_fds));
  RETURN_IF_ERROR(FillStdioHoles());
  RETURN_IF_ERROR(UnshareNamespaces(options.host_network));
  RETURN_IF_ERROR(PivotToEmptyRoot());
  RETURN_IF_ERROR(DropCapabilities(options.keep_capabilities));
  return SetNoNewPrivs();
}

}  // namespace boot
