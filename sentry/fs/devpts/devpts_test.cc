#include "sentry/fs/devpts/devpts.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/sysmacros.h>

#include <string>

#include "gtest/gtest.h"
#include "sentry/fs/devfs/devfs.h"
#include "sentry/fs/devpts/test_fakes.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::devpts {
namespace {

using testing::FakeCaller;
using testing::FakeKernel;
using vfs::testing::ListDir;
using vfs::testing::P;
using vfs::testing::ReadAll;
using vfs::testing::WriteString;

TtyFile& Tty(const vfs::FileRef& f) {
  auto* t = dynamic_cast<TtyFile*>(f->impl());
  EXPECT_NE(t, nullptr);
  return *t;
}

class DevptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs::RegisterTmpfs(vfs_);
    devfs::RegisterDevfs(vfs_, kernel_);
    auto root = vfs_.MountRoot(*vfs_.NewFilesystem("tmpfs", "", ""), {});
    ctx_ = vfs_.RootContext(*root);
    ASSERT_OK(vfs_.Mkdir(ctx_, P("/dev"), 0755));
    ASSERT_OK(vfs_.MountAt(ctx_, P("/dev"),
                           *vfs_.NewFilesystem("devfs", "", ""), {}, "tmpfs"));
    // Docker's options.
    auto pts = vfs_.NewFilesystem("devpts", "devpts",
                                  "newinstance,ptmxmode=0666,mode=0620,gid=5");
    ASSERT_OK(pts);
    ASSERT_OK(vfs_.MountAt(ctx_, P("/dev/pts"), *pts, {}, "devpts"));
    kernel_->current = &task_;
  }
  vfs::FileRef Open(const char* path, int flags) {
    auto f = vfs_.Open(ctx_, P(path), flags, 0);
    EXPECT_TRUE(f.ok()) << path << ": " << ErrnoName(f.error());
    return f.ok() ? *f : nullptr;
  }
  uint32_t Ptn(const vfs::FileRef& master) {
    uint32_t n = 12345;
    EXPECT_TRUE(task_.Ioctl(Tty(master), kTIOCGPTN, &n).ok());
    return n;
  }
  void Unlock(const vfs::FileRef& master) {
    int32_t v = 0;
    ASSERT_TRUE(task_.Ioctl(Tty(master), kTIOCSPTLCK, &v).ok());
  }

  std::shared_ptr<FakeKernel> kernel_ = std::make_shared<FakeKernel>();
  FakeCaller task_{100, 100, 100};
  vfs::VirtualFilesystem vfs_;
  vfs::Context ctx_;
};

TEST_F(DevptsTest, OpenPtmxCreatesNode) {
  task_.uid = 1000;
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/dev/pts"), std::vector<std::string>{"ptmx"});
  auto ptmx = vfs_.GetStat(ctx_, P("/dev/pts/ptmx"), true);
  EXPECT_EQ(ptmx->mode, S_IFCHR | 0666u);
  EXPECT_EQ(ptmx->rdev, makedev(5, 2 | (1 << 12)));    // instance 1
  auto master = Open("/dev/ptmx", O_RDWR | O_NOCTTY);  // the Docker link
  ASSERT_NE(master, nullptr);
  EXPECT_EQ(Ptn(master), 0u);
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/dev/pts"),
            (std::vector<std::string>{"ptmx", "0"}));
  auto st = vfs_.GetStat(ctx_, P("/dev/pts/0"), true);
  ASSERT_OK(st);
  EXPECT_EQ(st->mode, S_IFCHR | 0620u);
  EXPECT_EQ(st->uid, 1000u);
  EXPECT_EQ(st->gid, 5u);  // gid= option
  EXPECT_EQ(major(st->rdev), 136u);
  EXPECT_FALSE(master->Seek(0, SEEK_SET).ok());  // ESPIPE
  // Locked until TIOCSPTLCK 0.
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/dev/pts/0"), O_RDWR | O_NOCTTY, 0), EIO);
  Unlock(master);
  auto replica = Open("/dev/pts/0", O_RDWR | O_NOCTTY);
  ASSERT_NE(replica, nullptr);
  ASSERT_OK(WriteString(*master, "hi\n"));
  vfs::FileRef nb = Open("/dev/pts/0", O_RDWR | O_NOCTTY | O_NONBLOCK);
  EXPECT_EQ(ReadAll(*nb), "hi\n");  // stops at EAGAIN
  ASSERT_OK(WriteString(*replica, "out\n"));
  master->SetStatusFlags(O_NONBLOCK);
  EXPECT_EQ(ReadAll(*master), "hi\r\nout\r\n");
  EXPECT_EQ(replica->Readiness(POLLIN | POLLOUT), uint32_t{POLLOUT});
}

TEST_F(DevptsTest, NodeGoesWithMasterIndexWithPair) {
  auto m0 = Open("/dev/pts/ptmx", O_RDWR);
  Unlock(m0);
  auto r0 = Open("/dev/pts/0", O_RDWR | O_NOCTTY);
  auto m1 = Open("/dev/ptmx", O_RDWR);
  EXPECT_EQ(Ptn(m1), 1u);
  m0.reset();
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/dev/pts/0"), true), ENOENT);
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/dev/pts"),
            (std::vector<std::string>{"ptmx", "1"}));
  // Index 0 stays taken while its replica is open.
  auto m2 = Open("/dev/ptmx", O_RDWR);
  EXPECT_EQ(Ptn(m2), 2u);
  r0.reset();
  auto m3 = Open("/dev/ptmx", O_RDWR);
  EXPECT_EQ(Ptn(m3), 0u);
}

TEST_F(DevptsTest, IndependentInstances) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/pts2"), 0755));
  ASSERT_OK(vfs_.MountAt(
      ctx_, P("/pts2"),
      *vfs_.NewFilesystem("devpts", "devpts", "newinstance,ptmxmode=666"), {},
      "devpts"));
  auto a = Open("/dev/pts/ptmx", O_RDWR);
  auto b = Open("/pts2/ptmx", O_RDWR);
  EXPECT_EQ(Ptn(a), 0u);
  EXPECT_EQ(Ptn(b), 0u);
  EXPECT_NE(vfs_.GetStat(ctx_, P("/dev/pts/0"), true)->rdev,
            vfs_.GetStat(ctx_, P("/pts2/0"), true)->rdev);
  Unlock(a);
  Unlock(b);
  auto ra = Open("/dev/pts/0", O_RDWR | O_NOCTTY | O_NONBLOCK);
  auto rb = Open("/pts2/0", O_RDWR | O_NOCTTY | O_NONBLOCK);
  ASSERT_OK(WriteString(*a, "to a\n"));
  EXPECT_EQ(ReadAll(*rb), "");
  EXPECT_EQ(ReadAll(*ra), "to a\n");
  EXPECT_EQ(Tty(ra).pty().get(), Tty(a).pty().get());
  EXPECT_EQ(vfs_.GetStatFs(ctx_, P("/pts2"))->type, kDevptsMagic);
}

TEST_F(DevptsTest, DefaultInstanceAndDevfsPtmxNode) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d"), 0755));
  ASSERT_OK(vfs_.MountAt(ctx_, P("/d"),
                         *vfs_.NewFilesystem("devpts", "devpts", "mode=600"),
                         {}, "devpts"));
  // A real 5:2 node (not the link) opens the default instance.
  ASSERT_OK(vfs_.Mknod(ctx_, P("/ptmx"), S_IFCHR | 0666, makedev(5, 2)));
  auto m = Open("/ptmx", O_RDWR);
  EXPECT_EQ(Ptn(m), 0u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d/0"), true)->mode, S_IFCHR | 0600u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d/0"), true)->rdev, makedev(136, 0));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d/ptmx"), true)->mode, S_IFCHR | 0u);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/dev/pts/0"), true), ENOENT);
}

TEST_F(DevptsTest, DevTtyIsTheControllingTerminal) {
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/dev/tty"), O_RDWR, 0), ENXIO);
  auto m = Open("/dev/ptmx", O_RDWR);
  Unlock(m);
  // A session leader without a terminal opening without O_NOCTTY gets it.
  auto r = Open("/dev/pts/0", O_RDWR);
  EXPECT_EQ(task_.ctty, Tty(m).pty());
  auto tty = Open("/dev/tty", O_RDWR);
  ASSERT_NE(tty, nullptr);
  ASSERT_OK(WriteString(*m, "via tty\n"));
  tty->SetStatusFlags(O_NONBLOCK);
  EXPECT_EQ(ReadAll(*tty), "via tty\n");
  kernel_->current = nullptr;
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/dev/tty"), O_RDWR, 0), ENXIO);
  // Master close hangs the session up.
  m.reset();
  EXPECT_EQ(kernel_->hangups(), std::vector<int32_t>{100});
}

TEST_F(DevptsTest, DirectoryIsNotWritable) {
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/dev/pts/x"), 0755), EPERM);
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/dev/pts/ptmx")), EPERM);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/dev/pts/00"), true), ENOENT);
}

TEST(DevptsOptionsTest, Parse) {
  auto o = ParseDevptsOptions("newinstance,ptmxmode=0666,mode=620,gid=5");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->newinstance);
  EXPECT_EQ(o->ptmxmode, 0666u);
  EXPECT_EQ(o->mode, 0620u);
  EXPECT_EQ(*o->gid, 5u);
  EXPECT_EQ(ParseDevptsOptions("").value().mode, 0600u);
  EXPECT_EQ(ParseDevptsOptions("").value().ptmxmode, 0u);
  EXPECT_FALSE(ParseDevptsOptions("bogus").ok());
  EXPECT_FALSE(ParseDevptsOptions("mode=9").ok());
}

}  // namespace
}  // namespace sentry::fs::devpts
