#include "sentry/vfs/fsnotify.h"

#include <fcntl.h>
#include <sys/inotify.h>

#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/test_util.h"
#include "sentry/vfs/vfs.h"

namespace sentry::vfs {
namespace {

using testing::P;
using testing::PutFile;

struct Recorder final : FsWatch {
  void Event(uint32_t mask, uint32_t cookie, absl::string_view name) override {
    events.emplace_back(mask, cookie, std::string(name));
  }
  std::vector<std::tuple<uint32_t, uint32_t, std::string>> events;
};

class FsnotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::tmpfs::RegisterTmpfs(vfs_);
    auto fs = vfs_.NewFilesystem("tmpfs", "", "mode=755");
    ASSERT_TRUE(fs.ok());
    auto root = vfs_.MountRoot(*fs, MountFlags{}, "rootfs");
    ASSERT_TRUE(root.ok());
    root_ = *root;
    ctx_ = vfs_.RootContext(root_);
    ASSERT_TRUE(vfs_.Mkdir(ctx_, P("/d"), 0755).ok());
    auto d = vfs_.Resolve(ctx_, P("/d"), true);
    ASSERT_TRUE(d.ok());
    dir_ = *d;
    rec_ = std::make_shared<Recorder>();
    AddWatch(dir_.inode(), rec_);
  }
  void TearDown() override { RemoveWatch(dir_.inode(), rec_.get()); }

  std::vector<std::pair<uint32_t, std::string>> Names() {
    std::vector<std::pair<uint32_t, std::string>> out;
    for (auto& [m, c, n] : rec_->events) out.emplace_back(m, n);
    return out;
  }

  VirtualFilesystem vfs_;
  VirtualDentry root_, dir_;
  Context ctx_;
  std::shared_ptr<Recorder> rec_;
};

TEST_F(FsnotifyTest, ChildEventsReachTheParentInOrder) {
  ASSERT_TRUE(PutFile(vfs_, ctx_, "/d/f", "x").ok());
  ASSERT_TRUE(vfs_.Rename(ctx_, P("/d/f"), P("/d/g"), 0).ok());
  ASSERT_TRUE(vfs_.Chmod(ctx_, P("/d/g"), 0600, true).ok());
  ASSERT_TRUE(vfs_.Unlink(ctx_, P("/d/g")).ok());
  ASSERT_TRUE(vfs_.Mkdir(ctx_, P("/d/s"), 0755).ok());
  using E = std::pair<uint32_t, std::string>;
  EXPECT_EQ(Names(), (std::vector<E>{{IN_CREATE, "f"},
                                     {IN_OPEN, "f"},
                                     {IN_MODIFY, "f"},
                                     {IN_CLOSE_WRITE, "f"},
                                     {IN_MOVED_FROM, "f"},
                                     {IN_MOVED_TO, "g"},
                                     {IN_ATTRIB, "g"},
                                     {IN_DELETE, "g"},
                                     {IN_CREATE | IN_ISDIR, "s"}}));
  // The move pair shares one non-zero cookie.
  EXPECT_NE(std::get<1>(rec_->events[4]), 0u);
  EXPECT_EQ(std::get<1>(rec_->events[4]), std::get<1>(rec_->events[5]));
}

TEST_F(FsnotifyTest, SelfEventsAndRemoval) {
  ASSERT_TRUE(PutFile(vfs_, ctx_, "/d/f", "").ok());
  auto f = vfs_.Resolve(ctx_, P("/d/f"), true);
  ASSERT_TRUE(f.ok());
  auto self = std::make_shared<Recorder>();
  AddWatch(f->inode(), self);
  {
    auto fd = vfs_.Open(ctx_, P("/d/f"), O_RDONLY, 0);
    ASSERT_TRUE(fd.ok());
  }
  ASSERT_TRUE(vfs_.Unlink(ctx_, P("/d/f")).ok());
  std::vector<uint32_t> masks;
  for (auto& [m, c, n] : self->events) {
    masks.push_back(m);
    EXPECT_EQ(n, "");
  }
  EXPECT_EQ(masks,
            (std::vector<uint32_t>{IN_OPEN, IN_CLOSE_NOWRITE, IN_DELETE_SELF}));
  RemoveWatch(f->inode(), self.get());
  EXPECT_TRUE(HaveWatches());  // the directory's watch remains
  size_t before = self->events.size();
  NotifyInode(f->inode(), IN_ATTRIB);
  EXPECT_EQ(self->events.size(), before);
}

}  // namespace
}  // namespace sentry::vfs
