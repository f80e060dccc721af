// The gofer file system over a real gofer server on a socketpair.
#include "sentry/fs/gofer/gofer_fs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gofer/testing/tree.h"
#include "gtest/gtest.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::gofer_fs {
namespace {

using vfs::testing::GetFile;
using vfs::testing::ListDir;
using vfs::testing::P;
using vfs::testing::PutFile;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class GoferFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& d = dir_.path();
    ASSERT_EQ(mkdir((d + "/etc").c_str(), 0755), 0);
    gofer::testing::WriteFile(d + "/etc/passwd", "root:x:0:0\n");
    ASSERT_EQ(symlink("etc/passwd", (d + "/link").c_str()), 0);
    ASSERT_EQ(symlink("/etc", (d + "/abs").c_str()), 0);
    ASSERT_EQ(symlink("../../../..", (d + "/etc/up").c_str()), 0);
    std::vector<gofer::ServedMount> mounts;
    auto m = gofer::OpenServedMount(d, false);
    ASSERT_TRUE(m.ok());
    mounts.push_back(std::move(*m));
    served_ = std::make_unique<gofer::testing::ServedTree>(
        std::move(mounts), gofer::Server::Options{});
    client_ = std::shared_ptr<gofer::Client>(&served_->client(),
                                             [](gofer::Client*) {});
  }

  void MountRoot(std::shared_ptr<vfs::Filesystem> fs) {
    vfs_ = std::make_unique<vfs::VirtualFilesystem>();
    auto root = vfs_->MountRoot(std::move(fs), {}, "/");
    ASSERT_OK(root);
    ctx_ = vfs_->RootContext(*root);
    ctx_.umask = 0;
  }

  std::string Host(const std::string& rel) {
    base::UniqueFd fd(open((dir_.path() + rel).c_str(), O_RDONLY));
    if (!fd.valid()) return "<missing>";
    return gofer::testing::ReadFd(fd.get());
  }

  void TearDown() override {
    vfs_.reset();  // inodes close their handles before the server goes
  }

  gofer::testing::TempDir dir_;
  std::unique_ptr<gofer::testing::ServedTree> served_;
  std::shared_ptr<gofer::Client> client_;
  std::unique_ptr<vfs::VirtualFilesystem> vfs_;
  vfs::Context ctx_;
};

TEST_F(GoferFsTest, OperationsReachTheHostTree) {
  auto fs = GoferFs::Attach(client_, 0);
  ASSERT_OK(fs);
  MountRoot(*fs);
  auto& vfs = *vfs_;
  // Reads, symlinks resolved by the sentry (an absolute one stays inside).
  EXPECT_EQ(*GetFile(vfs, ctx_, "/etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(*GetFile(vfs, ctx_, "/link"), "root:x:0:0\n");
  EXPECT_EQ(*GetFile(vfs, ctx_, "/abs/passwd"), "root:x:0:0\n");
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/up"), true)->ino,
            vfs.GetStat(ctx_, P("/"), true)->ino);
  EXPECT_EQ(*vfs.ReadLink(ctx_, P("/link")), "etc/passwd");
  // Create + write through the donated descriptor, visible on the host.
  ASSERT_OK(PutFile(vfs, ctx_, "/etc/new", "hello", 0640));
  EXPECT_EQ(Host("/etc/new"), "hello");
  struct stat hst;
  ASSERT_EQ(stat((dir_.path() + "/etc/new").c_str(), &hst), 0);
  EXPECT_EQ(hst.st_mode & 07777, 0640u);
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/new"), true)->size, 5);
  {
    auto f = vfs.Open(ctx_, P("/etc/new"), O_WRONLY | O_APPEND, 0);
    ASSERT_OK(f);
    ASSERT_OK(vfs::testing::WriteString(**f, " world"));
  }
  EXPECT_EQ(Host("/etc/new"), "hello world");
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/new"), true)->size, 11);
  ASSERT_OK(vfs.Truncate(ctx_, P("/etc/new"), 5));
  EXPECT_EQ(Host("/etc/new"), "hello");
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/new"), true)->size, 5);
  // Directories, links, rename, unlink.
  ASSERT_OK(vfs.Mkdir(ctx_, P("/d"), 0700));
  ASSERT_OK(vfs.Symlink(ctx_, "target", P("/d/sl")));
  ASSERT_OK(vfs.Link(ctx_, P("/etc/new"), P("/d/hard"), false));
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/new"), true)->nlink, 2u);
  ASSERT_OK(vfs.Rename(ctx_, P("/d/hard"), P("/d/moved"), 0));
  EXPECT_EQ(Host("/d/moved"), "hello");
  EXPECT_EQ(Sorted(*ListDir(vfs, ctx_, "/d")),
            (std::vector<std::string>{"moved", "sl"}));
  EXPECT_ERRNO(vfs.Rmdir(ctx_, P("/d")), ENOTEMPTY);
  ASSERT_OK(vfs.Unlink(ctx_, P("/d/moved")));
  ASSERT_OK(vfs.Unlink(ctx_, P("/d/sl")));
  ASSERT_OK(vfs.Rmdir(ctx_, P("/d")));
  EXPECT_EQ(Host("/d/moved"), "<missing>");
  EXPECT_ERRNO(vfs.GetStat(ctx_, P("/d"), true), ENOENT);
  // Attributes.
  ASSERT_OK(vfs.Chmod(ctx_, P("/etc/new"), 0600, true));
  ASSERT_EQ(stat((dir_.path() + "/etc/new").c_str(), &hst), 0);
  EXPECT_EQ(hst.st_mode & 07777, 0600u);
  ASSERT_OK(vfs.Utimens(ctx_, P("/etc/new"), {1000, 0}, {2000, 5}, true));
  EXPECT_EQ(vfs.GetStat(ctx_, P("/etc/new"), true)->mtime,
            (vfs::Timespec{2000, 5}));
  EXPECT_OK(vfs.GetStatFs(ctx_, P("/")));
  // A FIFO on a gofer mount is a sentry pipe.
  ASSERT_OK(vfs.Mknod(ctx_, P("/fifo"), S_IFIFO | 0600, 0));
  auto r = vfs.Open(ctx_, P("/fifo"), O_RDONLY | O_NONBLOCK, 0);
  ASSERT_OK(r);
  auto w = vfs.Open(ctx_, P("/fifo"), O_WRONLY | O_NONBLOCK, 0);
  ASSERT_OK(w);
  ASSERT_OK(vfs::testing::WriteString(**w, "p"));
  EXPECT_EQ(vfs::testing::ReadAll(**r), "p");
  // Errors come back as errnos.
  EXPECT_ERRNO(vfs.Open(ctx_, P("/etc/missing"), O_RDONLY, 0), ENOENT);
  EXPECT_ERRNO(vfs.Mkdir(ctx_, P("/etc"), 0755), EEXIST);
  EXPECT_ERRNO(vfs.Mknod(ctx_, P("/dev0"), S_IFCHR | 0600, 0x103), EPERM);
}

TEST_F(GoferFsTest, LargeDirectoryListing) {
  const std::string big = dir_.path() + "/big";
  ASSERT_EQ(mkdir(big.c_str(), 0755), 0);
  constexpr int kN = 2000;
  for (int i = 0; i < kN; ++i) {
    gofer::testing::WriteFile(big + "/f" + std::to_string(i), "");
  }
  auto fs = GoferFs::Attach(client_, 0);
  ASSERT_OK(fs);
  MountRoot(*fs);
  auto f = vfs_->Open(ctx_, P("/big"), O_RDONLY | O_DIRECTORY, 0);
  ASSERT_OK(f);
  std::vector<int> seen(kN, 0);
  for (;;) {
    int n = 0;
    ASSERT_OK((*f)->IterateDir([&](const vfs::DirEntry& e) {
      if (n == 97) return false;
      ++n;
      if (e.name[0] == 'f') seen[std::stoi(e.name.substr(1))]++;
      return true;
    }));
    if (n == 0) break;
  }
  for (int i = 0; i < kN; ++i) ASSERT_EQ(seen[i], 1) << i;
}

TEST_F(GoferFsTest, OverlayOverGoferRootfs) {
  auto fs = GoferFs::Attach(client_, 0);
  ASSERT_OK(fs);
  auto upper = std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{});
  MountRoot(std::make_shared<overlay::OverlayFs>(upper, *fs));
  auto& vfs = *vfs_;
  ASSERT_OK(PutFile(vfs, ctx_, "/etc/passwd", "changed in the sandbox"));
  EXPECT_EQ(*GetFile(vfs, ctx_, "/etc/passwd"), "changed in the sandbox");
  EXPECT_EQ(Host("/etc/passwd"), "root:x:0:0\n");  // the host file is intact
  ASSERT_OK(vfs.Unlink(ctx_, P("/link")));
  EXPECT_ERRNO(vfs.GetStat(ctx_, P("/link"), false), ENOENT);
  struct stat hst;
  EXPECT_EQ(lstat((dir_.path() + "/link").c_str(), &hst), 0);
  ASSERT_OK(PutFile(vfs, ctx_, "/newfile", "x"));
  EXPECT_EQ(Host("/newfile"), "<missing>");
  EXPECT_EQ(Sorted(*ListDir(vfs, ctx_, "/")),
            (std::vector<std::string>{"abs", "etc", "newfile"}));
}

}  // namespace
}  // namespace sentry::fs::gofer_fs
