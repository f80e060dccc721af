// Tests of procfs (with a test ProcessProvider) and sysfs.
#include "sentry/fs/procfs/procfs.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sentry/fs/sysfs/sysfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::procfs {
namespace {

using vfs::testing::GetFile;
using vfs::testing::ListDir;
using vfs::testing::P;

// A provider with processes 1 and 42; the caller is 42 (thread 43).
class FakeProvider final : public ProcessProvider {
 public:
  std::vector<int> Tgids() override { return pids; }
  int CallerTgid() override { return 42; }
  int CallerTid() override { return 43; }
  ErrnoOr<std::vector<ProcEntry>> List(int tgid,
                                       absl::string_view dir) override {
    if (std::find(pids.begin(), pids.end(), tgid) == pids.end())
      return Errno{ENOENT};
    if (dir.empty()) {
      return std::vector<ProcEntry>{{"status", S_IFREG | 0444},
                                    {"cmdline", S_IFREG | 0444},
                                    {"fd", S_IFDIR | 0500},
                                    {"cwd", S_IFLNK | 0777}};
    }
    if (dir == "fd") return std::vector<ProcEntry>{{"0", S_IFLNK | 0700}};
    return Errno{ENOENT};
  }
  ErrnoOr<std::string> Read(int tgid, absl::string_view path) override {
    if (path == "status") return absl::StrCat("Pid:\t", tgid, "\n");
    if (path == "cmdline") return std::string("sh\0-c\0", 6);
    return Errno{ENOENT};
  }
  ErrnoOr<std::string> ReadLink(int tgid, absl::string_view path) override {
    if (path == "cwd") return std::string("/");
    if (path == "fd/0") return std::string("/dev/null");
    return Errno{ENOENT};
  }
  std::vector<int> pids = {1, 42};
};

class ProcfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs::RegisterTmpfs(vfs_);
    provider_ = std::make_shared<FakeProvider>();
    RegisterProcfs(vfs_, provider_, ProcfsOptions{.num_cpus = 2});
    sysfs::RegisterSysfs(vfs_, 2);
    auto root =
        vfs_.MountRoot(*vfs_.NewFilesystem("tmpfs", "", ""), {}, "rootfs");
    ctx_ = vfs_.RootContext(*root);
    ASSERT_OK(vfs_.Mkdir(ctx_, P("/proc"), 0555));
    ASSERT_OK(vfs_.Mkdir(ctx_, P("/sys"), 0555));
    ASSERT_OK(vfs_.Mkdir(ctx_, P("/dev"), 0755));
    ASSERT_OK(PutFile("/dev/null", ""));
    ASSERT_OK(vfs_.MountAt(
        ctx_, P("/proc"), *vfs_.NewFilesystem("proc", "proc", ""),
        vfs::MountFlags{.nosuid = true, .nodev = true, .noexec = true},
        "proc"));
    ASSERT_OK(vfs_.MountAt(ctx_, P("/sys"),
                           *vfs_.NewFilesystem("sysfs", "sysfs", ""),
                           vfs::MountFlags{.read_only = true}, "sysfs"));
  }
  ErrnoStatus PutFile(absl::string_view p, absl::string_view c) {
    return vfs::testing::PutFile(vfs_, ctx_, p, c);
  }
  vfs::VirtualFilesystem vfs_;
  std::shared_ptr<FakeProvider> provider_;
  vfs::Context ctx_;
};

TEST_F(ProcfsTest, SystemFiles) {
  std::string mounts = *GetFile(vfs_, ctx_, "/proc/mounts");
  EXPECT_TRUE(absl::StrContains(mounts, "rootfs / tmpfs rw,relatime"));
  EXPECT_TRUE(absl::StrContains(
      mounts, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0"));
  EXPECT_TRUE(absl::StrContains(mounts, "sysfs /sys sysfs ro,relatime 0 0"));
  std::string fss = *GetFile(vfs_, ctx_, "/proc/filesystems");
  EXPECT_TRUE(absl::StrContains(fss, "nodev\ttmpfs\n"));
  EXPECT_TRUE(absl::StrContains(fss, "nodev\tproc\n"));
  EXPECT_TRUE(
      absl::StartsWith(*GetFile(vfs_, ctx_, "/proc/meminfo"), "MemTotal:"));
  std::string cpuinfo = *GetFile(vfs_, ctx_, "/proc/cpuinfo");
  EXPECT_TRUE(absl::StrContains(cpuinfo, "processor\t: 1\n"));
  EXPECT_TRUE(absl::StartsWith(*GetFile(vfs_, ctx_, "/proc/stat"), "cpu  "));
  EXPECT_TRUE(absl::StrContains(*GetFile(vfs_, ctx_, "/proc/uptime"), "."));
  EXPECT_TRUE(absl::StartsWith(*GetFile(vfs_, ctx_, "/proc/version"),
                               "Linux version 4.4.0"));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/loadavg"), "0.00 0.00 0.00 1/2 42\n");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/sys/kernel/osrelease"), "4.4.0\n");
  // Read-only tree.
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/proc/meminfo"), O_WRONLY, 0), EACCES);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/proc/x"), 0755), EPERM);
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/proc/uptime")), EPERM);
  EXPECT_EQ(vfs_.GetStatFs(ctx_, P("/proc"))->type, kProcMagic);
}

TEST_F(ProcfsTest, SelfAndProcessDirectories) {
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/proc/self")), "42");
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/proc/thread-self")), "42/task/43");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/self/status"), "Pid:\t42\n");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/1/status"), "Pid:\t1\n");
  EXPECT_EQ(GetFile(vfs_, ctx_, "/proc/1/cmdline")->size(), 6u);
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/proc/self/fd/0")), "/dev/null");
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/proc/self/fd/0"), true)->ino,
            vfs_.GetStat(ctx_, P("/dev/null"), true)->ino);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/proc/42/cwd"), true)->ino,
            vfs_.GetStat(ctx_, P("/"), true)->ino);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/proc/7"), true), ENOENT);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/proc/042"), true), ENOENT);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/proc/1/nope"), true), ENOENT);
  auto root = *ListDir(vfs_, ctx_, "/proc");
  EXPECT_NE(std::find(root.begin(), root.end(), "1"), root.end());
  EXPECT_NE(std::find(root.begin(), root.end(), "42"), root.end());
  EXPECT_NE(std::find(root.begin(), root.end(), "self"), root.end());
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/proc/42"),
            (std::vector<std::string>{"status", "cmdline", "fd", "cwd"}));
  // A process that exits disappears (no stale cache).
  auto st = vfs_.GetStat(ctx_, P("/proc/1/status"), true);
  ASSERT_OK(st);
  provider_->pids = {42};
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/proc/1/status"), true), ENOENT);
  EXPECT_EQ(std::count(root.begin(), root.end(), "1"), 1);
  auto after = *ListDir(vfs_, ctx_, "/proc");
  EXPECT_EQ(std::find(after.begin(), after.end(), "1"), after.end());
}

TEST_F(ProcfsTest, Sysfs) {
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/sys/devices/system/cpu/online"), "0-1\n");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/sys/devices/system/cpu/possible"), "0-1\n");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/sys/devices/system/cpu/present"), "0-1\n");
  EXPECT_OK(vfs_.GetStat(ctx_, P("/sys/devices/system/cpu/cpu1"), true));
  EXPECT_OK(vfs_.GetStat(ctx_, P("/sys/fs/cgroup"), true));
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/sys/x"), 0755), EROFS);
}

}  // namespace
}  // namespace sentry::fs::procfs
