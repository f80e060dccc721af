// RunGofer in a forked child: the mount namespace, confinement, capability
// drop and seccomp filter, observed from outside and through the protocol.
#include "gofer/gofer_main.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "base/errors.h"
#include "base/sanitizers.h"
#include "gofer/client.h"
#include "gofer/testing/tree.h"
#include "gtest/gtest.h"

namespace gofer {
namespace {

using ::gofer::testing::ReadFd;
using ::gofer::testing::TempDir;
using ::gofer::testing::WriteFile;

int Err(const absl::Status& s) { return base::ErrnoFromStatus(s); }
template <typename T>
int Err(const absl::StatusOr<T>& s) {
  return base::ErrnoFromStatus(s.status());
}

// Sanitizer runtimes make system calls of their own (base/sanitizers.h);
// sanitized builds serve these tests unfiltered (the filter itself is still
// tested by SeccompKillsUnexpectedSyscalls).
using ::base::kSanitized;

bool CanUnshareMountNamespace() {
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string StatusField(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field + ":")) {
      std::string v = line.substr(field.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

class RunGoferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanUnshareMountNamespace()) {
      GTEST_SKIP() << "unshare(CLONE_NEWNS) is not permitted here";
    }
    rootfs_ = tmp_.path() + "/rootfs";
    data_ = tmp_.path() + "/hostdata";
    ro_ = tmp_.path() + "/hostro";
    outside_ = tmp_.path() + "/outside";
    for (const std::string& d : {rootfs_, data_, ro_, outside_}) {
      ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
    }
    WriteFile(rootfs_ + "/hello", "hello");
    WriteFile(data_ + "/h", "hostdata");
    WriteFile(ro_ + "/r", "ro");
    WriteFile(outside_ + "/secret", "secret");
    ASSERT_EQ(symlink("/", (rootfs_ + "/esc").c_str()), 0);
    // A mount destination through a symlink pointing at a host path must
    // stay inside the rootfs.
    // The same path exists inside the rootfs, so the link resolves there.
    ASSERT_EQ(symlink(outside_.c_str(), (rootfs_ + "/evil").c_str()), 0);
    std::string inside;
    for (const std::string& part : testing::Split(outside_)) {
      inside += "/" + part;
      ASSERT_EQ(mkdir((rootfs_ + inside).c_str(), 0755), 0);
    }
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Starts the gofer; returns the client of its single connection.
  std::unique_ptr<Client> Start(bool seccomp = !kSanitized,
                                const std::string& evil_dest = "/evil/m") {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    GoferConfig cfg;
    cfg.rootfs = rootfs_;
    cfg.mounts.push_back({"/data", data_, "bind", {"rbind", "rw"}});
    cfg.mounts.push_back({"/ro", ro_, "bind", {"bind", "ro", "rprivate"}});
    cfg.mounts.push_back({evil_dest, data_, "bind", {"bind"}});
    cfg.connection_fds = {sv[1]};
    cfg.log_fd = 2;
    cfg.install_seccomp = seccomp;
    pid_ = fork();
    if (pid_ == 0) {
      close(sv[0]);
      absl::Status st = RunGofer(cfg);
      if (!st.ok()) {
        std::string msg = st.ToString() + "\n";
        (void)!write(2, msg.data(), msg.size());
        _exit(1);
      }
      _exit(0);
    }
    close(sv[1]);
    return std::make_unique<Client>(base::UniqueFd(sv[0]));
  }

  // Waits for the gofer to exit; returns its wait status.
  int Wait() {
    int status = 0;
    EXPECT_EQ(waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    return status;
  }

  TempDir tmp_;
  std::string rootfs_, data_, ro_, outside_;
  pid_t pid_ = -1;
};

TEST_F(RunGoferTest, ServesTheContainerNamespaceConfined) {
  std::unique_ptr<Client> c = Start();
  auto root = c->Attach(0);
  ASSERT_TRUE(root.ok()) << root.status();
  Handle r = root->root.handle;

  // The process is confined: its root is the rootfs, no_new_privs, filter.
  // (Paths under /proc/<pid> are shown relative to the gofer's own root, so
  // identities are compared by device and inode.)
  auto id = [](const std::string& p) {
    struct stat st;
    EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
    return std::make_pair(st.st_dev, st.st_ino);
  };
  const std::string proc = "/proc/" + std::to_string(pid_);
  EXPECT_EQ(id(proc + "/root"), id(rootfs_));
  EXPECT_EQ(StatusField(pid_, "NoNewPrivs"), "1");
  if (!kSanitized) {
    EXPECT_EQ(StatusField(pid_, "Seccomp"), "2");
  }
  uint64_t want = 0;
  for (int cap : kKeptCapabilities) want |= uint64_t{1} << cap;
  uint64_t eff = 0, bnd = 0;
  ASSERT_TRUE(absl::SimpleHexAtoi(StatusField(pid_, "CapEff"), &eff));
  ASSERT_TRUE(absl::SimpleHexAtoi(StatusField(pid_, "CapBnd"), &bnd));
  EXPECT_EQ(eff & ~want, 0u);
  EXPECT_EQ(bnd & ~want, 0u);
  // Every descriptor it holds is a socket, the log, /proc/self/fd or a
  // served mount: nothing of the host outside the mounts.
  std::set<std::pair<dev_t, ino_t>> allowed = {id(rootfs_), id(data_), id(ro_)};
  int count = 0;
  for (int fd = 0; fd < 256; ++fd) {
    std::string p = proc + "/fd/" + std::to_string(fd);
    struct stat st;
    if (stat(p.c_str(), &st) != 0) continue;
    ++count;
    struct statfs sf;
    ASSERT_EQ(statfs(p.c_str(), &sf), 0);
    bool fine = S_ISSOCK(st.st_mode) || fd == 2 ||
                sf.f_type == PROC_SUPER_MAGIC ||
                allowed.count({st.st_dev, st.st_ino}) != 0;
    EXPECT_TRUE(fine) << "fd " << fd;
  }
  EXPECT_LE(count, 10);

  // The bind mounts are visible through the rootfs.
  auto w = c->Walk(r, {"data", "h"});
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->entries.size(), 2u) << w->error;
  auto o = c->Open(w->entries[1].handle, O_RDWR);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(ReadFd(o->fd.get()), "hostdata");
  // The read-only bind mount is read-only in the kernel too.
  auto ro = c->Walk(r, {"ro"});
  ASSERT_TRUE(ro.ok() && ro->entries.size() == 1);
  EXPECT_EQ(Err(c->Create(ro->entries[0].handle, "x", O_RDWR, 0644)), EROFS);
  auto ro_mount = c->Attach(2);
  ASSERT_TRUE(ro_mount.ok());
  EXPECT_TRUE(ro_mount->read_only);
  EXPECT_EQ(Err(c->Mkdir(ro_mount->root.handle, "x", 0755)), EROFS);
  // Served mount 1 is the data mount's root.
  auto data_mount = c->Attach(1);
  ASSERT_TRUE(data_mount.ok());
  struct stat st;
  ASSERT_EQ(stat(data_.c_str(), &st), 0);
  EXPECT_EQ(data_mount->root.stat.ino, st.st_ino);
  // A symlink out of the root is returned; ".." is refused.
  auto esc = c->Walk(r, {"esc", "etc"});
  ASSERT_TRUE(esc.ok());
  ASSERT_EQ(esc->entries.size(), 1u);
  EXPECT_TRUE(S_ISLNK(esc->entries[0].stat.mode));
  EXPECT_EQ(Err(c->Walk(r, {".."})), EINVAL);
  // The mount through the "evil" symlink was made inside the rootfs.
  EXPECT_NE(access((outside_ + "/m").c_str(), F_OK), 0);
  EXPECT_EQ(access((rootfs_ + outside_ + "/m").c_str(), F_OK), 0);

  // Exercise every operation under the seccomp filter.
  auto d = c->Mkdir(r, "d", 0755);
  ASSERT_TRUE(d.ok()) << d.status();
  auto f = c->Create(d->handle, "f", O_RDWR, 0644);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(c->Mknod(d->handle, "p", S_IFIFO | 0644).ok());
  EXPECT_TRUE(c->Symlink(d->handle, "s", "f").ok());
  EXPECT_TRUE(c->Link(d->handle, "l", f->entry.handle).ok());
  EXPECT_EQ(*c->Readlink(c->Walk(d->handle, {"s"})->entries[0].handle), "f");
  EXPECT_TRUE(c->Rename(d->handle, "l", d->handle, "l2").ok());
  EXPECT_TRUE(c->Unlink(d->handle, "l2").ok());
  SetAttr sa;
  sa.mode = 0600;
  sa.uid = 1000;
  sa.size = 10;
  sa.mtime = Timespec{1, 0};
  EXPECT_TRUE(c->SetAttributes(f->entry.handle, sa).ok());
  auto dents = c->Getdents(d->handle, 0);
  ASSERT_TRUE(dents.ok());
  EXPECT_EQ(dents->entries.size(), 3u);
  EXPECT_TRUE(c->Statfs(r).ok());
  EXPECT_TRUE(c->Fsync(f->entry.handle).ok());
  absl::Status xs = c->SetXattr(f->entry.handle, "user.a", "b");
  if (xs.ok()) {
    EXPECT_EQ(*c->GetXattr(f->entry.handle, "user.a"), "b");
    EXPECT_TRUE(c->ListXattr(f->entry.handle).ok());
    EXPECT_TRUE(c->RemoveXattr(f->entry.handle, "user.a").ok());
  }
  EXPECT_TRUE(c->Close({r, d->handle}).ok());
  EXPECT_EQ(access((rootfs_ + "/d/f").c_str(), F_OK), 0);

  c.reset();  // the only connection closes: the gofer exits cleanly
  int status = Wait();
  EXPECT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(RunGoferTest, DanglingSymlinkOnAMountPathFailsInsteadOfEscaping) {
  // "dangling" points at a host path that does not exist inside the rootfs.
  ASSERT_EQ(
      symlink((outside_ + "/nothere").c_str(), (rootfs_ + "/dangling").c_str()),
      0);
  std::unique_ptr<Client> c = Start(true, "/dangling/m");
  EXPECT_EQ(Err(c->Attach(0)), EIO);  // the gofer gave up
  int status = Wait();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(access((outside_ + "/nothere").c_str(), F_OK), 0);
}

TEST_F(RunGoferTest, SeccompKillsUnexpectedSyscalls) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
    if (!InstallGoferFilter().ok()) _exit(3);
    // Not on the allow-list: path-based open.
    syscall(SYS_open, "/etc/passwd", O_RDONLY);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST_F(RunGoferTest, BadConfigIsAnError) {
  GoferConfig cfg;
  cfg.rootfs = "relative/path";
  EXPECT_EQ(Err(RunGofer(cfg)), EINVAL);
  cfg.rootfs = rootfs_;
  cfg.mounts.push_back({"/t", "tmpfs", "tmpfs", {}});
  EXPECT_EQ(Err(RunGofer(cfg)), EINVAL);
}

}  // namespace
}  // namespace gofer
