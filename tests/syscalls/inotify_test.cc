// inotify: watches on files and directories, event records, masks,
// IN_ONESHOT, removal, non-blocking reads.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Event {
  int wd;
  uint32_t mask;
  uint32_t cookie;
  std::string name;
};

// Reads every queued event (the descriptor is non-blocking).
std::vector<Event> Drain(int fd) {
  std::vector<Event> out;
  alignas(struct inotify_event) char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(buf + off);
      out.push_back(
          {e->wd, e->mask, e->cookie, e->len ? std::string(e->name) : ""});
      off += sizeof(struct inotify_event) + e->len;
    }
  }
  return out;
}

class InotifyTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fd_ = Fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }
  Fd fd_;
};

TEST_F(InotifyTest, DirectoryEvents) {
  int wd = inotify_add_watch(fd_.get(), dir_.c_str(), IN_ALL_EVENTS);
  ASSERT_THAT(wd, SyscallSucceeds());
  WriteFile(Path("f"), "x");
  ASSERT_THAT(rename(Path("f").c_str(), Path("g").c_str()), SyscallSucceeds());
  ASSERT_THAT(unlink(Path("g").c_str()), SyscallSucceeds());
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  auto ev = Drain(fd_.get());
  std::vector<std::pair<uint32_t, std::string>> got;
  for (auto& e : ev) {
    EXPECT_EQ(e.wd, wd);
    got.push_back({e.mask, e.name});
  }
  using P = std::pair<uint32_t, std::string>;
  // The order is the order of the operations.
  std::vector<P> want = {{IN_CREATE, "f"},     {IN_OPEN, "f"},
                         {IN_MODIFY, "f"},     {IN_CLOSE_WRITE, "f"},
                         {IN_MOVED_FROM, "f"}, {IN_MOVED_TO, "g"},
                         {IN_DELETE, "g"},     {IN_CREATE | IN_ISDIR, "d"}};
  EXPECT_EQ(got, want);
  // MOVED_FROM and MOVED_TO share a non-zero cookie.
  for (size_t i = 0; i + 1 < ev.size(); ++i) {
    if (ev[i].mask == IN_MOVED_FROM) {
      EXPECT_NE(ev[i].cookie, 0u);
      EXPECT_EQ(ev[i].cookie, ev[i + 1].cookie);
    }
  }
}

TEST_F(InotifyTest, FileWatchAndMask) {
  WriteFile(Path("f"), "");
  int wd =
      inotify_add_watch(fd_.get(), Path("f").c_str(), IN_MODIFY | IN_ATTRIB);
  ASSERT_THAT(wd, SyscallSucceeds());
  Fd f(open(Path("f").c_str(), O_WRONLY));  // IN_OPEN: not in the mask.
  ASSERT_THAT(write(f.get(), "ab", 2), SyscallSucceeds());
  ASSERT_THAT(fchmod(f.get(), 0600), SyscallSucceeds());
  auto ev = Drain(fd_.get());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].mask, static_cast<uint32_t>(IN_MODIFY));
  EXPECT_EQ(ev[0].name,
            "");  // Events on the watched file itself carry no name.
  EXPECT_EQ(ev[1].mask, static_cast<uint32_t>(IN_ATTRIB));
  // Adding the same path again returns the same wd; IN_MASK_ADD merges.
  EXPECT_THAT(inotify_add_watch(fd_.get(), Path("f").c_str(), IN_CLOSE),
              SyscallSucceedsWithValue(wd));
}

TEST_F(InotifyTest, OneShotAndRemove) {
  int wd = inotify_add_watch(fd_.get(), dir_.c_str(), IN_CREATE | IN_ONESHOT);
  ASSERT_THAT(wd, SyscallSucceeds());
  WriteFile(Path("a"), "");
  WriteFile(Path("b"), "");
  auto ev = Drain(fd_.get());
  ASSERT_GE(ev.size(), 1u);
  EXPECT_EQ(ev[0].mask, static_cast<uint32_t>(IN_CREATE));
  EXPECT_EQ(ev[0].name, "a");
  // After the one event, the watch is gone (IN_IGNORED follows).
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].mask, static_cast<uint32_t>(IN_IGNORED));
  EXPECT_THAT(inotify_rm_watch(fd_.get(), wd), SyscallFailsWithErrno(EINVAL));

  int wd2 = inotify_add_watch(fd_.get(), dir_.c_str(), IN_CREATE);
  ASSERT_THAT(inotify_rm_watch(fd_.get(), wd2), SyscallSucceeds());
  ev = Drain(fd_.get());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].mask, static_cast<uint32_t>(IN_IGNORED));
}

TEST_F(InotifyTest, DeleteSelf) {
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  int wd = inotify_add_watch(fd_.get(), Path("d").c_str(), IN_DELETE_SELF);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_THAT(rmdir(Path("d").c_str()), SyscallSucceeds());
  auto ev = Drain(fd_.get());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].mask, static_cast<uint32_t>(IN_DELETE_SELF));
  EXPECT_EQ(ev[1].mask, static_cast<uint32_t>(IN_IGNORED));
}

TEST_F(InotifyTest, MaskAddCloseNowriteAndFionread) {
  WriteFile(Path("f"), "");
  int wd = inotify_add_watch(fd_.get(), Path("f").c_str(), IN_OPEN);
  ASSERT_THAT(wd, SyscallSucceeds());
  EXPECT_THAT(inotify_add_watch(fd_.get(), Path("f").c_str(),
                                IN_CLOSE_NOWRITE | IN_MASK_ADD),
              SyscallSucceedsWithValue(wd));
  { Fd r(open(Path("f").c_str(), O_RDONLY)); }
  int n = 0;
  ASSERT_THAT(ioctl(fd_.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, static_cast<int>(2 * sizeof(struct inotify_event)));
  auto ev = Drain(fd_.get());
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].mask, static_cast<uint32_t>(IN_OPEN));
  EXPECT_EQ(ev[1].mask, static_cast<uint32_t>(IN_CLOSE_NOWRITE));
  EXPECT_THAT(
      inotify_add_watch(fd_.get(), Path("f").c_str(), IN_OPEN | IN_MASK_CREATE),
      SyscallFailsWithErrno(EEXIST));
}

TEST_F(InotifyTest, SubdirectoryEventsAndNamePadding) {
  int wd = inotify_add_watch(fd_.get(), dir_.c_str(), IN_CREATE | IN_DELETE);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_THAT(mkdir(Path("sub").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(rmdir(Path("sub").c_str()), SyscallSucceeds());
  alignas(struct inotify_event) char buf[4096];
  ssize_t got = read(fd_.get(), buf, sizeof(buf));
  ASSERT_GT(got, 0);
  auto* e = reinterpret_cast<struct inotify_event*>(buf);
  EXPECT_EQ(e->mask, static_cast<uint32_t>(IN_CREATE | IN_ISDIR));
  // Names are NUL-padded to a multiple of the header size.
  EXPECT_EQ(e->len % sizeof(struct inotify_event), 0u);
  EXPECT_GE(e->len, 4u);
  EXPECT_STREQ(e->name, "sub");
  auto* e2 = reinterpret_cast<struct inotify_event*>(
      buf + sizeof(struct inotify_event) + e->len);
  ASSERT_EQ(got,
            static_cast<ssize_t>(2 * (sizeof(struct inotify_event) + e->len)));
  EXPECT_EQ(e2->mask, static_cast<uint32_t>(IN_DELETE | IN_ISDIR));
}

TEST_F(InotifyTest, ErrorsAndPolling) {
  EXPECT_THAT(
      inotify_add_watch(fd_.get(), Path("missing").c_str(), IN_ALL_EVENTS),
      SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(inotify_add_watch(fd_.get(), dir_.c_str(), 0),
              SyscallFailsWithErrno(EINVAL));
  WriteFile(Path("f"), "");
  EXPECT_THAT(
      inotify_add_watch(fd_.get(), Path("f").c_str(), IN_CREATE | IN_ONLYDIR),
      SyscallFailsWithErrno(ENOTDIR));
  Fd notinotify(open(dir_.c_str(), O_RDONLY));
  EXPECT_THAT(inotify_add_watch(notinotify.get(), dir_.c_str(), IN_CREATE),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(inotify_init1(0x1234), SyscallFailsWithErrno(EINVAL));
  char buf[64];
  EXPECT_THAT(read(fd_.get(), buf, sizeof(buf)), SyscallFailsWithErrno(EAGAIN));
  ASSERT_THAT(inotify_add_watch(fd_.get(), dir_.c_str(), IN_CREATE),
              SyscallSucceeds());
  struct pollfd p = {fd_.get(), POLLIN, 0};
  EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(0));
  WriteFile(Path("new_entry_with_a_name"), "");
  EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  // A buffer too small for the next event is EINVAL.
  EXPECT_THAT(read(fd_.get(), buf, sizeof(struct inotify_event)),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace syscall_test
