#include "sentry/fs/devfs/devfs.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::devfs {
namespace {

using vfs::testing::P;

class DevfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs::RegisterTmpfs(vfs_);
    RegisterDevfs(vfs_);
    auto root = vfs_.MountRoot(*vfs_.NewFilesystem("tmpfs", "", ""), {});
    ctx_ = vfs_.RootContext(*root);
    ASSERT_OK(vfs_.Mkdir(ctx_, P("/dev"), 0755));
    ASSERT_OK(vfs_.MountAt(ctx_, P("/dev"),
                           *vfs_.NewFilesystem("devfs", "", ""),
                           vfs::MountFlags{.nosuid = true}, "tmpfs"));
    ASSERT_OK(vfs_.MountAt(ctx_, P("/dev/pts"),
                           *vfs_.NewFilesystem("devpts", "devpts", ""), {},
                           "devpts"));
  }
  vfs::FileRef Open(const char* path, int flags) {
    auto f = vfs_.Open(ctx_, P(path), flags, 0);
    EXPECT_TRUE(f.ok()) << path;
    return f.ok() ? *f : nullptr;
  }
  vfs::VirtualFilesystem vfs_;
  vfs::Context ctx_;
};

TEST_F(DevfsTest, NullZeroFullRandom) {
  char buf[100];
  memset(buf, 'x', sizeof(buf));
  vfs::SpanDst dst(buf, sizeof(buf));
  vfs::SpanSrc src(buf, sizeof(buf));

  auto null = Open("/dev/null", O_RDWR);
  EXPECT_EQ(*null->Read(dst), 0u);
  EXPECT_EQ(*null->Write(src), 100u);
  EXPECT_EQ(*null->Seek(1000, SEEK_SET), 0);

  auto zero = Open("/dev/zero", O_RDWR);
  EXPECT_EQ(*zero->Read(dst), 100u);
  EXPECT_TRUE(std::all_of(buf, buf + 100, [](char c) { return c == 0; }));
  EXPECT_EQ(*zero->Write(src), 100u);

  auto full = Open("/dev/full", O_RDWR);
  memset(buf, 'x', sizeof(buf));
  EXPECT_EQ(*full->Read(dst), 100u);
  EXPECT_EQ(buf[50], 0);
  EXPECT_ERRNO(full->Write(src), ENOSPC);

  for (const char* r : {"/dev/urandom", "/dev/random"}) {
    auto f = Open(r, O_RDONLY);
    char a[64] = {}, b[64] = {};
    vfs::SpanDst da(a, sizeof(a)), db(b, sizeof(b));
    EXPECT_EQ(*f->Read(da), 64u);
    EXPECT_EQ(*f->Read(db), 64u);
    EXPECT_NE(std::string(a, 64), std::string(b, 64));
    EXPECT_NE(std::string(a, 64), std::string(64, '\0'));
  }
}

TEST_F(DevfsTest, NodesLinksAndMissingDevices) {
  auto st = vfs_.GetStat(ctx_, P("/dev/null"), true);
  ASSERT_OK(st);
  EXPECT_EQ(st->mode, S_IFCHR | 0666u);
  EXPECT_EQ(st->rdev, makedev(1, 3));
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/dev/stdout")), "/proc/self/fd/1");
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/dev/fd")), "/proc/self/fd");
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/dev/ptmx"), true)->rdev, makedev(5, 2));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/dev/shm"), true)->mode, S_IFDIR | 01777u);
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/dev/tty"), O_RDWR, 0), ENXIO);
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/dev/ptmx"), O_RDWR, 0), ENXIO);
  EXPECT_OK(vfs_.Open(ctx_, P("/dev/console"), O_WRONLY, 0));
  // A device node made anywhere opens the registered device; an unknown
  // number is ENXIO.
  ASSERT_OK(vfs_.Mknod(ctx_, P("/mynull"), S_IFCHR | 0666, makedev(1, 3)));
  EXPECT_OK(vfs_.Open(ctx_, P("/mynull"), O_RDWR, 0));
  ASSERT_OK(vfs_.Mknod(ctx_, P("/unknown"), S_IFCHR | 0666, makedev(99, 1)));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/unknown"), O_RDWR, 0), ENXIO);
  ASSERT_OK(vfs_.Mknod(ctx_, P("/blk"), S_IFBLK | 0666, makedev(1, 3)));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/blk"), O_RDWR, 0), ENXIO);
  // /dev is writable (tmpfs), like runc's.
  EXPECT_OK(vfs_.Open(ctx_, P("/dev/shm/x"), O_RDWR | O_CREAT, 0600));
}

}  // namespace
}  // namespace sentry::fs::devfs
