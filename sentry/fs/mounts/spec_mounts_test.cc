#include "sentry/fs/mounts/spec_mounts.h"

#include <fcntl.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sentry/fs/devfs/devfs.h"
#include "sentry/fs/kernfs/kernfs.h"
#include "sentry/fs/procfs/procfs.h"
#include "sentry/fs/sysfs/sysfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::mounts {
namespace {

using vfs::testing::GetFile;
using vfs::testing::ListDir;
using vfs::testing::P;
using vfs::testing::PutFile;

class SpecMountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs::RegisterTmpfs(vfs_);
    devfs::RegisterDevfs(vfs_);
    procfs::RegisterProcfs(vfs_, nullptr, {});
    sysfs::RegisterSysfs(vfs_, 1);
    auto root =
        vfs_.MountRoot(*vfs_.NewFilesystem("tmpfs", "", "mode=755"), {});
    ctx_ = vfs_.RootContext(*root);
    // The bind source: another file system with a file and a directory.
    data_ = std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = 0755});
    vfs::CreateRequest req;
    req.mode = S_IFREG | 0644;
    ASSERT_OK(data_->Root()->Create("hello", req));
    file_src_ = std::make_shared<kernfs::SimpleFilesystem>(
        "bind", 0,
        std::make_shared<kernfs::GeneratedFile>(
            vfs::NewAnonDev(), 1, 0644,
            []() -> ErrnoOr<std::string> { return std::string("myhost\n"); }));
  }

  MountTreeSpec DockerLikeSpec() {
    MountTreeSpec s;
    s.mounts = {
        {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
        {"/dev",
         "tmpfs",
         "tmpfs",
         {"nosuid", "strictatime", "mode=755", "size=65536k"}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
          "gid=5"}},
        {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
        {"/sys/fs/cgroup",
         "cgroup",
         "cgroup",
         {"nosuid", "noexec", "nodev", "relatime", "ro"}},
        {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
        {"/dev/shm",
         "tmpfs",
         "shm",
         {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
        {"/data", "bind", "/host/data", {"rbind", "ro", "rprivate"}},
        {"/etc/hostname", "none", "/host/hostname", {"bind", "rw"}},
        {"/scratch", "tmpfs", "tmpfs", {"size=8k", "mode=700"}},
    };
    s.masked_paths = {"/proc/meminfo", "/proc/kcore", "/sys/firmware",
                      "/proc/acpi"};
    s.readonly_paths = {"/proc/sys", "/proc/sysrq-trigger", "/scratch"};
    return s;
  }

  BindSourceResolver Resolver() {
    return
        [this](
            const MountSpec& m) -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
          if (m.source == "/host/data")
            return std::shared_ptr<vfs::Filesystem>(data_);
          if (m.source == "/host/hostname")
            return std::shared_ptr<vfs::Filesystem>(file_src_);
          return Errno{ENOENT};
        };
  }

  vfs::VirtualFilesystem vfs_;
  vfs::Context ctx_;
  std::shared_ptr<tmpfs::Tmpfs> data_;
  std::shared_ptr<vfs::Filesystem> file_src_;  // a file as its root
};

TEST_F(SpecMountsTest, OptionsParse) {
  ParsedOptions p =
      ParseMountOptions({"ro", "nosuid", "nodev", "noexec", "rbind", "rprivate",
                         "size=1m", "mode=755"});
  EXPECT_TRUE(p.flags.read_only && p.flags.nosuid && p.flags.nodev &&
              p.flags.noexec);
  EXPECT_TRUE(p.bind);
  EXPECT_EQ(p.data, "size=1m,mode=755");
  EXPECT_FALSE(ParseMountOptions({"ro", "rw"}).flags.read_only);
}

TEST_F(SpecMountsTest, DockerDefaultsMaskedAndReadonlyPaths) {
  ASSERT_OK(ApplyMountSpec(vfs_, ctx_, DockerLikeSpec(), Resolver()));
  // Mounts exist with their flags.
  std::string mounts = *GetFile(vfs_, ctx_, "/proc/mounts");
  EXPECT_TRUE(
      absl::StrContains(mounts, "proc /proc proc rw,nosuid,nodev,noexec"));
  EXPECT_TRUE(absl::StrContains(mounts, "devpts /dev/pts tmpfs"));
  EXPECT_TRUE(absl::StrContains(mounts, "/host/data /data tmpfs ro,"));
  EXPECT_OK(vfs_.GetStat(ctx_, P("/dev/null"), true));  // /dev is devfs
  EXPECT_OK(vfs_.GetStat(ctx_, P("/dev/pts/ptmx"), true));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/dev/shm"), true)->mode, S_IFDIR | 01777u);
  EXPECT_OK(vfs_.GetStat(ctx_, P("/dev/mqueue"), true));
  EXPECT_OK(vfs_.GetStat(ctx_, P("/data/hello"), true));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/data/new"), O_WRONLY | O_CREAT, 0644),
               EROFS);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/sys/fs/cgroup/x"), 0755), EROFS);
  EXPECT_OK(vfs_.Open(ctx_, P("/dev/shm/x"), O_RDWR | O_CREAT, 0644));
  // A file bind: the destination was created as a file.
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/hostname"), "myhost\n");
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/scratch"), true)->mode, S_IFDIR | 0700u);
  // Masked: a file reads as empty (/dev/null), a directory is empty and
  // read-only; missing paths were skipped.
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/meminfo"), "");
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/proc/meminfo"), true)->mode & S_IFMT,
            static_cast<uint32_t>(S_IFCHR));
  EXPECT_TRUE(ListDir(vfs_, ctx_, "/sys/firmware")->empty());
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/sys/firmware/x"), 0755), EROFS);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/proc/kcore"), true), ENOENT);
  // Read-only paths: still readable, not writable.
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/proc/sys/kernel/ostype"), "Linux\n");
  EXPECT_TRUE(vfs_.GetMountFlags(ctx_, P("/proc/sys"))->read_only);
  EXPECT_TRUE(vfs_.GetMountFlags(ctx_, P("/proc/sys"))->noexec);  // kept
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/scratch/f"), O_WRONLY | O_CREAT, 0644),
               EROFS);
}

TEST_F(SpecMountsTest, MaskWithoutDevNullAndErrors) {
  ASSERT_OK(PutFile(vfs_, ctx_, "/secret", "s3cr3t"));
  MountTreeSpec s;
  s.masked_paths = {"/secret"};
  ASSERT_OK(ApplyMountSpec(vfs_, ctx_, s, nullptr));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/secret"), "");
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/secret"), O_WRONLY, 0), EROFS);
  MountTreeSpec bad;
  bad.mounts = {{"/x", "nosuchfs", "", {}}};
  EXPECT_ERRNO(ApplyMountSpec(vfs_, ctx_, bad, nullptr), ENODEV);
  bad.mounts = {{"relative", "tmpfs", "", {}}};
  EXPECT_ERRNO(ApplyMountSpec(vfs_, ctx_, bad, nullptr), EINVAL);
  bad.mounts = {{"/t", "tmpfs", "", {"size=zz"}}};
  EXPECT_ERRNO(ApplyMountSpec(vfs_, ctx_, bad, nullptr), EINVAL);
  bad.mounts = {{"/b", "bind", "/nowhere", {"bind"}}};
  EXPECT_ERRNO(ApplyMountSpec(vfs_, ctx_, bad, nullptr), ENODEV);
}

}  // namespace
}  // namespace sentry::fs::mounts
