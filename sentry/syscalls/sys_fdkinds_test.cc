// Handler tests for advisory locks, inotify and the splice family through
// the real syscall table, on a tmpfs root and FlatUserMemory.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/testing.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/fd_table.h"
#include "sentry/vfs/vfs.h"

namespace sentry::syscalls {
namespace {

using kernel::kTestMemBase;

class FdKindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::tmpfs::RegisterTmpfs(vfs_);
    auto fs = vfs_.NewFilesystem("tmpfs", "", "mode=1777");
    ASSERT_TRUE(fs.ok());
    auto root = vfs_.MountRoot(*fs, vfs::MountFlags{}, "rootfs");
    ASSERT_TRUE(root.ok());
    SetSandboxVfs(&vfs_);
    kt_ = kernel::MakeKernelAndTask();
    t().files = NewFiles();
    t().fs = std::make_shared<FsResource>(*root, *root, 022);
  }
  void TearDown() override {
    t().files.reset();
    t().fs.reset();
  }

  static std::shared_ptr<FilesResource> NewFiles() {
    return std::make_shared<FilesResource>(std::make_unique<vfs::FdTable>());
  }
  Task& t() { return *kt_.task; }
  // Copies bytes into application memory at kTestMemBase + off.
  uint64_t Put(size_t off, const void* p, size_t n) {
    EXPECT_TRUE(t().mm().CopyOutFull(UserAddr(kTestMemBase + off), p, n).ok());
    return kTestMemBase + off;
  }
  uint64_t PutStr(size_t off, const std::string& s) {
    return Put(off, s.c_str(), s.size() + 1);
  }
  int Open(const std::string& path, int flags) {
    return static_cast<int>(
        CallRaw(t(), __NR_openat,
                {uint64_t(AT_FDCWD), PutStr(0, path), uint64_t(flags), 0644}));
  }
  int64_t Fcntl(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    uint64_t a = Put(4096, &fl, sizeof(fl));
    return CallRaw(t(), __NR_fcntl, {uint64_t(fd), uint64_t(cmd), a});
  }
  struct flock LastFlock() {
    struct flock fl;
    EXPECT_TRUE(t().mm()
                    .CopyInFull(UserAddr(kTestMemBase + 4096), &fl, sizeof(fl))
                    .ok());
    return fl;
  }

  vfs::VirtualFilesystem vfs_;
  kernel::KernelAndTask kt_;
};

TEST_F(FdKindsTest, PosixLocksDieWithTheirTable) {
  int a = Open("/f", O_RDWR | O_CREAT);
  ASSERT_GE(a, 0);
  ASSERT_EQ(Fcntl(a, F_SETLK, F_WRLCK, 0, 10), 0);
  // Another "process": a second table holding the same description.
  vfs::FileRef f = *TaskFdTable(t()).Get(a);
  std::shared_ptr<kernel::ForkableResource> first = t().files;
  t().files = NewFiles();
  int b = *TaskFdTable(t()).Add(f, false);
  EXPECT_EQ(Fcntl(b, F_SETLK, F_WRLCK, 5, 1), -EAGAIN);
  ASSERT_EQ(Fcntl(b, F_GETLK, F_RDLCK, 0, 100), 0);
  EXPECT_EQ(LastFlock().l_type, F_WRLCK);
  EXPECT_EQ(LastFlock().l_len, 10);
  // The first table goes (its process exited): its locks go with it.
  first.reset();
  EXPECT_EQ(Fcntl(b, F_SETLK, F_WRLCK, 5, 1), 0);
}

TEST_F(FdKindsTest, OfdAndFlockBelongToTheDescription) {
  int a = Open("/f", O_RDWR | O_CREAT);
  int b = Open("/f", O_RDWR);
  ASSERT_EQ(Fcntl(a, F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  EXPECT_EQ(Fcntl(b, F_OFD_SETLK, F_RDLCK, 0, 1), -EAGAIN);
  ASSERT_EQ(Fcntl(b, F_OFD_GETLK, F_RDLCK, 0, 1), 0);
  EXPECT_EQ(LastFlock().l_pid, -1);
  ASSERT_EQ(CallRaw(t(), __NR_flock, {uint64_t(a), LOCK_EX}), 0);
  EXPECT_EQ(CallRaw(t(), __NR_flock, {uint64_t(b), LOCK_SH | LOCK_NB}),
            -EWOULDBLOCK);
  // Closing the description's only descriptor frees both kinds.
  ASSERT_EQ(CallRaw(t(), __NR_close, {uint64_t(a)}), 0);
  EXPECT_EQ(Fcntl(b, F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  EXPECT_EQ(CallRaw(t(), __NR_flock, {uint64_t(b), LOCK_EX | LOCK_NB}), 0);
}

struct Recorder final : vfs::EventListener {
  void OnEvents(uint32_t e) override { events |= e; }
  uint32_t events = 0;
};

TEST_F(FdKindsTest, InotifyQueuesAndAnnouncesReadiness) {
  ASSERT_EQ(CallRaw(t(), __NR_mkdir, {PutStr(0, "/d"), 0755}), 0);
  int in = static_cast<int>(CallRaw(t(), __NR_inotify_init1, {IN_NONBLOCK}));
  ASSERT_GE(in, 0);
  int wd = static_cast<int>(CallRaw(
      t(), __NR_inotify_add_watch, {uint64_t(in), PutStr(0, "/d"), IN_CREATE}));
  ASSERT_GE(wd, 1);
  vfs::FileRef f = *TaskFdTable(t()).Get(in);
  EXPECT_EQ(f->Readiness(POLLIN), 0u);
  Recorder rec;
  vfs::EventRegistration reg(f->impl()->Events(), &rec, POLLIN);
  int c = Open("/d/x", O_WRONLY | O_CREAT);
  ASSERT_GE(c, 0);
  EXPECT_EQ(f->Readiness(POLLIN), uint32_t{POLLIN});
  EXPECT_TRUE(rec.events & POLLIN);
  uint64_t buf = kTestMemBase + 8192;
  ASSERT_EQ(CallRaw(t(), __NR_read, {uint64_t(in), buf, 256}),
            int64_t(sizeof(inotify_event) + 16));
  alignas(inotify_event) char got[sizeof(inotify_event) + 16];
  ASSERT_TRUE(t().mm().CopyInFull(UserAddr(buf), got, sizeof(got)).ok());
  auto* e = reinterpret_cast<inotify_event*>(got);
  EXPECT_EQ(e->wd, wd);
  EXPECT_EQ(e->mask, uint32_t{IN_CREATE});
  EXPECT_STREQ(e->name, "x");
  EXPECT_EQ(CallRaw(t(), __NR_read, {uint64_t(in), buf, 256}), -EAGAIN);
  EXPECT_EQ(CallRaw(t(), __NR_inotify_rm_watch, {uint64_t(in), uint64_t(wd)}),
            0);
  EXPECT_EQ(CallRaw(t(), __NR_inotify_rm_watch, {uint64_t(in), uint64_t(wd)}),
            -EINVAL);
}

TEST_F(FdKindsTest, CopyFileRangeAndSendfileOffsets) {
  int src = Open("/src", O_RDWR | O_CREAT);
  ASSERT_GE(src, 0);
  const std::string data = "0123456789abcdef";
  uint64_t d = Put(0, data.data(), data.size());
  ASSERT_EQ(CallRaw(t(), __NR_write, {uint64_t(src), d, data.size()}), 16);
  int dst = static_cast<int>(
      CallRaw(t(), __NR_openat,
              {uint64_t(AT_FDCWD), PutStr(0, "/dst"), O_RDWR | O_CREAT, 0644}));
  ASSERT_GE(dst, 0);
  int64_t off_in = 4;
  uint64_t po = Put(1024, &off_in, sizeof(off_in));
  ASSERT_EQ(CallRaw(t(), __NR_copy_file_range,
                    {uint64_t(src), po, uint64_t(dst), 0, 6, 0}),
            6);
  ASSERT_TRUE(t().mm().CopyInFull(UserAddr(po), &off_in, 8).ok());
  EXPECT_EQ(off_in, 10);
  // The destination's position moved; the source's did not (offset given).
  EXPECT_EQ(CallRaw(t(), __NR_lseek, {uint64_t(dst), 0, SEEK_CUR}), 6);
  EXPECT_EQ(CallRaw(t(), __NR_lseek, {uint64_t(src), 0, SEEK_CUR}), 16);
  ASSERT_EQ(CallRaw(t(), __NR_lseek, {uint64_t(src), 10, SEEK_SET}), 10);
  ASSERT_EQ(CallRaw(t(), __NR_sendfile, {uint64_t(dst), uint64_t(src), 0, 100}),
            6);
  EXPECT_EQ(CallRaw(t(), __NR_lseek, {uint64_t(src), 0, SEEK_CUR}), 16);
  uint64_t buf = kTestMemBase + 8192;
  ASSERT_EQ(CallRaw(t(), __NR_pread64, {uint64_t(dst), buf, 100, 0}), 12);
  char got[12];
  ASSERT_TRUE(t().mm().CopyInFull(UserAddr(buf), got, 12).ok());
  EXPECT_EQ(std::string(got, 12), "456789abcdef");
  // Overlapping ranges of one file.
  EXPECT_EQ(CallRaw(t(), __NR_copy_file_range,
                    {uint64_t(src), 0, uint64_t(src), 0, 4, 0}),
            -EINVAL);
}

}  // namespace
}  // namespace sentry::syscalls
