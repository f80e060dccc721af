// Tests of the gofer server and client over a real socketpair.
#include "gofer/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/errors.h"
#include "gmock/gmock.h"
#include "gofer/client.h"
#include "gofer/proto/gofer.pb.h"
#include "gofer/testing/tree.h"
#include "gofer/wire.h"
#include "gtest/gtest.h"

namespace gofer {
namespace {

namespace pb = ::runsc::gofer;
using ::gofer::testing::ReadFd;
using ::gofer::testing::ServedTree;
using ::gofer::testing::Split;
using ::gofer::testing::TempDir;
using ::gofer::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

int Err(const absl::Status& s) { return base::ErrnoFromStatus(s); }
template <typename T>
int Err(const absl::StatusOr<T>& s) {
  return base::ErrnoFromStatus(s.status());
}

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno&) const = default;
};
DevIno Of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return {st.st_dev, st.st_ino};
}
DevIno Of(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return {st.st_dev, st.st_ino};
}
DevIno Of(const Stat& st) {
  return {static_cast<dev_t>(st.dev), static_cast<ino_t>(st.ino)};
}

// The tree:
//   root/file "hello", root/dir/inner "inner", root/dir/sub/,
//   root/abs_link -> <outside>/secret, root/rel_link -> ../outside/secret,
//   root/up_link -> .., root/fifo
//   rodir/ro_file "ro"     (served read-only as mount 1)
//   outside/secret         (must never be reached)
class GoferTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    ro_ = tmp_.path() + "/rodir";
    outside_ = tmp_.path() + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(ro_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    WriteFile(outside_ + "/secret", "secret");
    WriteFile(root_ + "/file", "hello");
    ASSERT_EQ(mkdir((root_ + "/dir").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/dir/sub").c_str(), 0755), 0);
    WriteFile(root_ + "/dir/inner", "inner");
    ASSERT_EQ(
        symlink((outside_ + "/secret").c_str(), (root_ + "/abs_link").c_str()),
        0);
    ASSERT_EQ(symlink("../outside/secret", (root_ + "/rel_link").c_str()), 0);
    ASSERT_EQ(symlink("..", (root_ + "/up_link").c_str()), 0);
    ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0644), 0);
    WriteFile(ro_ + "/ro_file", "ro");
    Start(Server::Options{.max_handles = 65536, .use_openat2 = GetParam()});
  }

  void Start(Server::Options options) {
    served_.reset();
    std::vector<ServedMount> mounts;
    auto rw = OpenServedMount(root_, false);
    auto ro = OpenServedMount(ro_, true);
    ASSERT_TRUE(rw.ok() && ro.ok());
    mounts.push_back(std::move(*rw));
    mounts.push_back(std::move(*ro));
    served_ = std::make_unique<ServedTree>(std::move(mounts), options);
    auto root = c().Attach(0);
    ASSERT_TRUE(root.ok()) << root.status();
    root_h_ = root->root.handle;
  }

  Client& c() { return served_->client(); }

  // Walks `path` from the root; expects every component reached.
  HandleStat W(const std::string& path) {
    auto r = c().Walk(root_h_, Split(path));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_EQ(r->error, 0) << path;
    EXPECT_EQ(r->entries.size(), Split(path).size()) << path;
    if (r->entries.empty()) return {};
    return r->entries.back();
  }

  TempDir tmp_;
  std::string root_, ro_, outside_;
  std::unique_ptr<ServedTree> served_;
  Handle root_h_ = kInvalidHandle;
};

TEST_P(GoferTest, AttachStatsTheRoot) {
  auto a = c().Attach(0);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->read_only);
  EXPECT_TRUE(S_ISDIR(a->root.stat.mode));
  EXPECT_EQ(Of(a->root.stat), Of(root_));
  auto b = c().Attach(1);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->read_only);
  EXPECT_EQ(Err(c().Attach(2)), EINVAL);
  EXPECT_EQ(served_->server().openat2_supported(), GetParam());
}

TEST_P(GoferTest, WalkManyComponentsInOneRoundTrip) {
  auto r = c().Walk(root_h_, {"dir", "sub"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, 0);
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_EQ(Of(r->entries[0].stat), Of(root_ + "/dir"));
  EXPECT_EQ(Of(r->entries[1].stat), Of(root_ + "/dir/sub"));
  EXPECT_NE(r->entries[0].handle, r->entries[1].handle);
  auto st = c().GetStat(r->entries[1].handle);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(S_ISDIR(st->mode));
}

TEST_P(GoferTest, WalkReportsHowFarItGot) {
  auto r = c().Walk(root_h_, {"dir", "missing", "x"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, ENOENT);
  EXPECT_EQ(r->entries.size(), 1u);
  r = c().Walk(root_h_, {"file", "x"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, ENOTDIR);
  EXPECT_EQ(r->entries.size(), 1u);
  r = c().Walk(root_h_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->entries.empty());
}

TEST_P(GoferTest, WalkRefusesBadNames) {
  EXPECT_EQ(Err(c().Walk(root_h_, {".."})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {"."})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {"dir", ".."})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {"../outside"})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {"dir/sub"})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {"/etc"})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {""})), ENOENT);
  EXPECT_EQ(Err(c().Walk(root_h_, {std::string("a\0b", 3)})), EINVAL);
  EXPECT_EQ(Err(c().Walk(root_h_, {std::string(256, 'a')})), ENAMETOOLONG);
  std::vector<std::string> many(Client::kMaxWalkComponents + 1, "dir");
  EXPECT_EQ(Err(c().Walk(root_h_, many)), E2BIG);
  // A name of exactly NAME_MAX is fine (and simply absent).
  auto r = c().Walk(root_h_, {std::string(255, 'a')});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, ENOENT);
}

TEST_P(GoferTest, BadHandlesAreRefused) {
  EXPECT_EQ(Err(c().GetStat(0)), EBADF);
  EXPECT_EQ(Err(c().GetStat(12345)), EBADF);
  EXPECT_EQ(Err(c().Walk(999, {"dir"})), EBADF);
  EXPECT_EQ(Err(c().Open(999, O_RDONLY)), EBADF);
  EXPECT_EQ(Err(c().Unlink(999, "file")), EBADF);
  HandleStat f = W("file");
  ASSERT_TRUE(c().Close(f.handle).ok());
  EXPECT_EQ(Err(c().GetStat(f.handle)), EBADF);
  EXPECT_TRUE(c().Close(f.handle).ok());  // closing twice is harmless
}

TEST_P(GoferTest, AbsoluteSymlinkOutOfTheRootIsReturnedNotFollowed) {
  auto r = c().Walk(root_h_, {"abs_link", "anything"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, 0);
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_TRUE(S_ISLNK(r->entries[0].stat.mode));
  EXPECT_EQ(Of(r->entries[0].stat), Of(root_ + "/abs_link"));
  auto target = c().Readlink(r->entries[0].handle);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, outside_ + "/secret");
  EXPECT_EQ(Err(c().Open(r->entries[0].handle, O_RDONLY)), ELOOP);
  EXPECT_EQ(Err(c().GetXattr(r->entries[0].handle, "user.x")), EPERM);
}

TEST_P(GoferTest, RelativeSymlinksOutOfTheRootStopTheWalk) {
  for (const char* link : {"rel_link", "up_link"}) {
    auto r = c().Walk(root_h_, {link, "outside", "secret"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->entries.size(), 1u) << link;
    EXPECT_TRUE(S_ISLNK(r->entries[0].stat.mode));
    EXPECT_EQ(Err(c().Open(r->entries[0].handle, O_RDONLY)), ELOOP);
    // The symlink handle is no directory: nothing can be walked under it.
    auto under = c().Walk(r->entries[0].handle, {"secret"});
    ASSERT_TRUE(under.ok());
    EXPECT_EQ(under->error, ENOTDIR);
    EXPECT_TRUE(under->entries.empty());
  }
  auto rl = c().Readlink(W("rel_link").handle);
  ASSERT_TRUE(rl.ok());
  EXPECT_EQ(*rl, "../outside/secret");
  EXPECT_EQ(Err(c().Readlink(W("file").handle)), EINVAL);
}

TEST_P(GoferTest, OpenDonatesRegularFiles) {
  HandleStat f = W("file");
  auto o = c().Open(f.handle, O_RDONLY);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->fd.valid());
  EXPECT_EQ(o->dir, kInvalidHandle);
  EXPECT_EQ(ReadFd(o->fd.get()), "hello");
  EXPECT_EQ(Of(o->fd.get()), Of(root_ + "/file"));
  EXPECT_EQ(fcntl(o->fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(fcntl(o->fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_LT(write(o->fd.get(), "x", 1), 0);

  auto w = c().Open(f.handle, O_RDWR | O_TRUNC);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(ReadFd(w->fd.get()), "");
  ASSERT_EQ(pwrite(w->fd.get(), "bye", 3, 0), 3);
  EXPECT_EQ(ReadFd(o->fd.get()), "bye");

  EXPECT_EQ(Err(c().Open(f.handle, O_RDONLY | O_DIRECTORY)), ENOTDIR);
  EXPECT_EQ(Err(c().Open(f.handle, O_RDONLY | O_CREAT)), EINVAL);
  EXPECT_EQ(Err(c().Open(f.handle, O_ACCMODE)), EINVAL);
  EXPECT_EQ(Err(c().Open(f.handle, O_PATH)), EINVAL);
}

TEST_P(GoferTest, OpenDirectoryGivesAHandleForGetdents) {
  HandleStat d = W("dir");
  auto o = c().Open(d.handle, O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->fd.valid());
  ASSERT_NE(o->dir, kInvalidHandle);
  auto batch = c().Getdents(o->dir, 0);
  ASSERT_TRUE(batch.ok());
  std::vector<std::string> names;
  for (const Dirent& e : batch->entries) names.push_back(e.name);
  EXPECT_THAT(names, UnorderedElementsAre("inner", "sub"));
  EXPECT_EQ(Err(c().Open(d.handle, O_WRONLY)), EISDIR);
  EXPECT_EQ(Err(c().Open(d.handle, O_RDWR)), EISDIR);
  EXPECT_EQ(Err(c().Getdents(W("file").handle, 0)), ENOTDIR);
}

TEST_P(GoferTest, GetdentsPagesThroughALargeDirectory) {
  ASSERT_EQ(mkdir((root_ + "/big").c_str(), 0755), 0);
  std::set<std::string> want;
  for (int i = 0; i < 3000; ++i) {
    std::string name = "entry_with_a_longish_name_" + std::to_string(i);
    WriteFile(root_ + "/big/" + name, "");
    want.insert(name);
  }
  HandleStat big = W("big");
  std::set<std::string> got;
  int64_t off = 0;
  int batches = 0;
  for (;;) {
    auto b = c().Getdents(big.handle, off, 4096);
    ASSERT_TRUE(b.ok()) << b.status();
    if (b->eof) break;
    ASSERT_FALSE(b->entries.empty());
    ++batches;
    for (const Dirent& e : b->entries) {
      EXPECT_TRUE(got.insert(e.name).second) << "duplicate " << e.name;
      EXPECT_EQ(e.type, DT_REG);
      EXPECT_NE(e.ino, 0u);
    }
    off = b->entries.back().next_offset;
  }
  EXPECT_EQ(got, want);
  EXPECT_GT(batches, 10);
  EXPECT_EQ(Err(c().Getdents(big.handle, -1)), EINVAL);
}

TEST_P(GoferTest, CreateMakesAndDonatesANewFile) {
  auto cr = c().Create(root_h_, "new", O_RDWR, 0640, Owner{1234, 5678});
  ASSERT_TRUE(cr.ok()) << cr.status();
  ASSERT_TRUE(cr->fd.valid());
  EXPECT_TRUE(S_ISREG(cr->entry.stat.mode));
  EXPECT_EQ(cr->entry.stat.mode & 07777, 0640u);
  EXPECT_EQ(cr->entry.stat.uid, 1234u);
  EXPECT_EQ(cr->entry.stat.gid, 5678u);
  ASSERT_EQ(pwrite(cr->fd.get(), "data", 4, 0), 4);
  EXPECT_EQ(Of(cr->fd.get()), Of(root_ + "/new"));
  auto st = c().GetStat(cr->entry.handle);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 4u);
  EXPECT_EQ(Err(c().Create(root_h_, "new", O_RDWR, 0644)), EEXIST);
  // A dangling symlink is not followed either.
  EXPECT_EQ(Err(c().Create(root_h_, "abs_link", O_RDWR, 0644)), EEXIST);
  EXPECT_EQ(Err(c().Create(W("file").handle, "x", O_RDWR, 0644)), ENOTDIR);
  EXPECT_EQ(Err(c().Create(root_h_, "..", O_RDWR, 0644)), EINVAL);
  EXPECT_EQ(Err(c().Create(root_h_, std::string(256, 'x'), O_RDWR, 0644)),
            ENAMETOOLONG);
}

TEST_P(GoferTest, MkdirMknodSymlink) {
  auto d = c().Mkdir(root_h_, "newdir", 0700, Owner{42, 43});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(S_ISDIR(d->stat.mode));
  EXPECT_EQ(d->stat.mode & 07777, 0700u);
  EXPECT_EQ(d->stat.uid, 42u);
  EXPECT_EQ(Of(d->stat), Of(root_ + "/newdir"));
  EXPECT_EQ(Err(c().Mkdir(root_h_, "newdir", 0700)), EEXIST);
  EXPECT_EQ(Err(c().Mkdir(root_h_, "file", 0700)), EEXIST);

  auto fifo = c().Mknod(d->handle, "p", S_IFIFO | 0600);
  ASSERT_TRUE(fifo.ok()) << fifo.status();
  EXPECT_TRUE(S_ISFIFO(fifo->stat.mode));
  auto reg = c().Mknod(d->handle, "r", 0600);
  ASSERT_TRUE(reg.ok());
  EXPECT_TRUE(S_ISREG(reg->stat.mode));
  EXPECT_EQ(Err(c().Mknod(d->handle, "null", S_IFCHR | 0666, makedev(1, 3))),
            EPERM);
  EXPECT_EQ(Err(c().Mknod(d->handle, "blk", S_IFBLK | 0666, makedev(7, 0))),
            EPERM);
  EXPECT_EQ(Err(c().Mknod(d->handle, "dir", S_IFDIR | 0666)), EINVAL);

  auto sl = c().Symlink(d->handle, "s", "/etc/passwd", Owner{7, 8});
  ASSERT_TRUE(sl.ok()) << sl.status();
  EXPECT_TRUE(S_ISLNK(sl->stat.mode));
  EXPECT_EQ(sl->stat.uid, 7u);
  EXPECT_EQ(*c().Readlink(sl->handle), "/etc/passwd");
  EXPECT_EQ(Err(c().Symlink(d->handle, "s2", "")), ENOENT);
  EXPECT_EQ(Err(c().Symlink(d->handle, "s2", std::string(4096, 'a'))),
            ENAMETOOLONG);
  EXPECT_EQ(Err(c().Symlink(d->handle, "s", "x")), EEXIST);
}

TEST_P(GoferTest, LinkOnlyLinksHandlesFromTheTree) {
  HandleStat f = W("file");
  auto l = c().Link(root_h_, "file2", f.handle);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(Of(l->stat), Of(root_ + "/file"));
  EXPECT_EQ(l->stat.nlink, 2u);
  EXPECT_EQ(Err(c().Link(root_h_, "file2", f.handle)), EEXIST);
  EXPECT_EQ(Err(c().Link(root_h_, "d2", W("dir").handle)), EPERM);
  EXPECT_EQ(Err(c().Link(root_h_, "x", 0xdeadbeef)), EBADF);
  // A symlink is linked itself, not its (outside) target.
  auto ls = c().Link(root_h_, "link2", W("abs_link").handle);
  ASSERT_TRUE(ls.ok()) << ls.status();
  EXPECT_TRUE(S_ISLNK(ls->stat.mode));
  EXPECT_EQ(Of(ls->stat), Of(root_ + "/abs_link"));
  // A handle from the read-only mount cannot be linked anywhere.
  auto ro = c().Attach(1);
  ASSERT_TRUE(ro.ok());
  auto rof = c().Walk(ro->root.handle, {"ro_file"});
  ASSERT_TRUE(rof.ok() && rof->entries.size() == 1);
  EXPECT_EQ(Err(c().Link(root_h_, "x", rof->entries[0].handle)), EROFS);
}

// Documented behaviour: a hard link that already exists inside the tree is a
// file of the tree, even if the same inode is also linked outside.
TEST_P(GoferTest, PreexistingHardLinkIsAFileOfTheTree) {
  if (link((outside_ + "/secret").c_str(), (root_ + "/hard").c_str()) != 0) {
    GTEST_SKIP() << "cannot hard-link on this file system";
  }
  auto o = c().Open(W("hard").handle, O_RDONLY);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(ReadFd(o->fd.get()), "secret");
}

TEST_P(GoferTest, UnlinkAndRmdir) {
  ASSERT_TRUE(c().Unlink(root_h_, "file").ok());
  EXPECT_NE(access((root_ + "/file").c_str(), F_OK), 0);
  EXPECT_EQ(Err(c().Unlink(root_h_, "file")), ENOENT);
  EXPECT_EQ(Err(c().Unlink(root_h_, "dir")), EISDIR);
  EXPECT_EQ(Err(c().Unlink(root_h_, "dir", AT_REMOVEDIR)), ENOTEMPTY);
  HandleStat dir = W("dir");
  EXPECT_EQ(Err(c().Unlink(dir.handle, "inner", AT_REMOVEDIR)), ENOTDIR);
  ASSERT_TRUE(c().Unlink(dir.handle, "sub", AT_REMOVEDIR).ok());
  EXPECT_EQ(Err(c().Unlink(dir.handle, "inner", 12345)), EINVAL);
  EXPECT_EQ(Err(c().Unlink(dir.handle, "..", AT_REMOVEDIR)), EINVAL);
  // Unlinking a symlink removes the link, not its target.
  ASSERT_TRUE(c().Unlink(root_h_, "abs_link").ok());
  EXPECT_EQ(access((outside_ + "/secret").c_str(), F_OK), 0);
}

TEST_P(GoferTest, RenameWithFlags) {
  HandleStat dir = W("dir");
  ASSERT_TRUE(c().Rename(root_h_, "file", dir.handle, "moved").ok());
  EXPECT_EQ(access((root_ + "/dir/moved").c_str(), F_OK), 0);
  EXPECT_EQ(Err(c().Rename(root_h_, "file", dir.handle, "x")), ENOENT);
  EXPECT_EQ(Err(c().Rename(dir.handle, "moved", dir.handle, "inner",
                           RENAME_NOREPLACE)),
            EEXIST);
  ASSERT_TRUE(
      c().Rename(dir.handle, "moved", dir.handle, "inner", RENAME_EXCHANGE)
          .ok());
  auto o = c().Open(W("dir/inner").handle, O_RDONLY);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(ReadFd(o->fd.get()), "hello");
  EXPECT_EQ(
      Err(c().Rename(dir.handle, "moved", dir.handle, "x", RENAME_WHITEOUT)),
      EINVAL);
  EXPECT_EQ(Err(c().Rename(dir.handle, "moved", dir.handle, "../x")), EINVAL);
  EXPECT_EQ(Err(c().Rename(root_h_, "dir", dir.handle, "sub2")), EINVAL);
}

TEST_P(GoferTest, SetAttributes) {
  HandleStat f = W("file");
  SetAttr a;
  a.mode = 0600;
  a.uid = 99;
  a.gid = 98;
  a.size = 2;
  a.atime = Timespec{1000, 5};
  a.mtime = Timespec{2000, 7};
  auto st = c().SetAttributes(f.handle, a);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->mode & 07777, 0600u);
  EXPECT_EQ(st->uid, 99u);
  EXPECT_EQ(st->gid, 98u);
  EXPECT_EQ(st->size, 2u);
  EXPECT_EQ(st->atime_ns, 1000000000005);
  EXPECT_EQ(st->mtime_ns, 2000000000007);
  struct stat host;
  ASSERT_EQ(stat((root_ + "/file").c_str(), &host), 0);
  EXPECT_EQ(host.st_size, 2);
  EXPECT_EQ(host.st_uid, 99u);

  SetAttr omit;
  omit.atime = Timespec{0, UTIME_OMIT};
  omit.mtime = Timespec{0, UTIME_NOW};
  st = c().SetAttributes(f.handle, omit);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->atime_ns, 1000000000005);
  EXPECT_GT(st->mtime_ns, 2000000000007);

  SetAttr bad;
  bad.mtime = Timespec{0, 2000000000};
  EXPECT_EQ(Err(c().SetAttributes(f.handle, bad)), EINVAL);
  SetAttr size;
  size.size = 1;
  EXPECT_EQ(Err(c().SetAttributes(W("dir").handle, size)), EISDIR);
  EXPECT_EQ(Err(c().SetAttributes(W("fifo").handle, size)), EINVAL);
  SetAttr mode;
  mode.mode = 0777;
  EXPECT_EQ(Err(c().SetAttributes(W("abs_link").handle, mode)), EOPNOTSUPP);
  // Owner and times of a symlink are the link's own (the target outside is
  // untouched).
  SetAttr lt;
  lt.uid = 5;
  lt.mtime = Timespec{3000, 0};
  auto lst = c().SetAttributes(W("abs_link").handle, lt);
  ASSERT_TRUE(lst.ok()) << lst.status();
  EXPECT_EQ(lst->uid, 5u);
  EXPECT_EQ(lst->mtime_ns, 3000000000000);
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &host), 0);
  EXPECT_NE(host.st_uid, 5u);
  EXPECT_NE(host.st_mtim.tv_sec, 3000);
}

TEST_P(GoferTest, StatfsAndFsync) {
  auto sf = c().Statfs(root_h_);
  ASSERT_TRUE(sf.ok());
  EXPECT_GT(sf->bsize, 0u);
  EXPECT_GT(sf->namelen, 0u);
  EXPECT_TRUE(c().Fsync(W("file").handle).ok());
  EXPECT_TRUE(c().Fsync(W("dir").handle, true).ok());
  EXPECT_EQ(Err(c().Fsync(W("fifo").handle)), EINVAL);
}

TEST_P(GoferTest, Xattrs) {
  HandleStat f = W("file");
  absl::Status st = c().SetXattr(f.handle, "user.k", "value");
  if (Err(st) == EOPNOTSUPP) GTEST_SKIP() << "no user xattrs on /tmp";
  ASSERT_TRUE(st.ok()) << st;
  auto v = c().GetXattr(f.handle, "user.k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "value");
  auto sz = c().GetXattr(f.handle, "user.k", 0);
  ASSERT_TRUE(sz.ok());
  EXPECT_EQ(sz->size(), 5u);
  EXPECT_EQ(Err(c().GetXattr(f.handle, "user.k", 2)), ERANGE);
  EXPECT_EQ(Err(c().SetXattr(f.handle, "user.k", "v", XATTR_CREATE)), EEXIST);
  EXPECT_EQ(Err(c().SetXattr(f.handle, "user.k", "v", 0x100)), EINVAL);
  EXPECT_EQ(Err(c().SetXattr(f.handle, "", "v")), ERANGE);
  EXPECT_EQ(Err(c().SetXattr(f.handle, std::string(256, 'u'), "v")), ERANGE);
  EXPECT_EQ(Err(c().SetXattr(f.handle, "user.big", std::string(65537, 'v'))),
            E2BIG);
  auto names = c().ListXattr(f.handle);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ::testing::Contains("user.k"));
  ASSERT_TRUE(c().RemoveXattr(f.handle, "user.k").ok());
  EXPECT_EQ(Err(c().GetXattr(f.handle, "user.k")), ENODATA);
  EXPECT_EQ(Err(c().RemoveXattr(f.handle, "user.k")), ENODATA);
  EXPECT_EQ(Err(c().SetXattr(W("fifo").handle, "user.k", "v")), EPERM);
  ASSERT_TRUE(c().SetXattr(W("dir").handle, "user.d", "dv").ok());
  EXPECT_EQ(*c().GetXattr(W("dir").handle, "user.d"), "dv");
}

TEST_P(GoferTest, ReadOnlyMountRefusesEveryChange) {
  auto a = c().Attach(1);
  ASSERT_TRUE(a.ok());
  Handle r = a->root.handle;
  auto w = c().Walk(r, {"ro_file"});
  ASSERT_TRUE(w.ok() && w->entries.size() == 1);
  Handle f = w->entries[0].handle;
  EXPECT_EQ(Err(c().Open(f, O_WRONLY)), EROFS);
  EXPECT_EQ(Err(c().Open(f, O_RDWR)), EROFS);
  EXPECT_EQ(Err(c().Open(f, O_RDONLY | O_TRUNC)), EROFS);
  EXPECT_EQ(Err(c().Create(r, "n", O_RDWR, 0644)), EROFS);
  EXPECT_EQ(Err(c().Mkdir(r, "n", 0755)), EROFS);
  EXPECT_EQ(Err(c().Mknod(r, "n", S_IFIFO | 0644)), EROFS);
  EXPECT_EQ(Err(c().Symlink(r, "n", "t")), EROFS);
  EXPECT_EQ(Err(c().Link(r, "n", f)), EROFS);
  EXPECT_EQ(Err(c().Unlink(r, "ro_file")), EROFS);
  EXPECT_EQ(Err(c().Rename(r, "ro_file", r, "x")), EROFS);
  SetAttr sa;
  sa.mode = 0777;
  EXPECT_EQ(Err(c().SetAttributes(f, sa)), EROFS);
  EXPECT_EQ(Err(c().SetXattr(f, "user.x", "y")), EROFS);
  EXPECT_EQ(Err(c().RemoveXattr(f, "user.x")), EROFS);
  // Reads still work.
  auto o = c().Open(f, O_RDONLY);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(ReadFd(o->fd.get()), "ro");
  EXPECT_TRUE(c().Getdents(r, 0).ok());
  EXPECT_EQ(access((ro_ + "/ro_file").c_str(), F_OK), 0);
}

TEST_P(GoferTest, FifoOpenNeverBlocksTheServer) {
  HandleStat p = W("fifo");
  auto rd = c().Open(p.handle, O_RDONLY);
  ASSERT_TRUE(rd.ok()) << rd.status();
  EXPECT_NE(fcntl(rd->fd.get(), F_GETFL) & O_NONBLOCK, 0);
  // With a reader present a writer can open too.
  auto wr = c().Open(p.handle, O_WRONLY);
  ASSERT_TRUE(wr.ok()) << wr.status();
  rd->fd.reset();
  wr->fd.reset();
  // No reader: a non-blocking writer gets ENXIO instead of blocking.
  EXPECT_EQ(Err(c().Open(p.handle, O_WRONLY)), ENXIO);
}

TEST_P(GoferTest, DeviceNodesAndSocketsAreNotDonated) {
  if (mknod((root_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    HandleStat n = W("null");
    EXPECT_TRUE(S_ISCHR(n.stat.mode));
    EXPECT_EQ(Err(c().Open(n.handle, O_RDWR)), EPERM);
    EXPECT_EQ(Err(c().Open(n.handle, O_RDONLY)), EPERM);
  }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  base::UniqueFd sock(s);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string path = root_ + "/sock";
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  memcpy(addr.sun_path, path.c_str(), path.size());
  ASSERT_EQ(bind(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)),
            0);
  HandleStat so = W("sock");
  EXPECT_TRUE(S_ISSOCK(so.stat.mode));
  EXPECT_EQ(Err(c().Open(so.handle, O_RDWR)), ENXIO);
}

TEST_P(GoferTest, HandleTableIsBounded) {
  Start(Server::Options{.max_handles = 4, .use_openat2 = GetParam()});
  // The root handle is one; three more fit.
  auto r = c().Walk(root_h_, {"dir", "sub"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entries.size(), 2u);
  r = c().Walk(root_h_, {"dir", "sub"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->error, EMFILE);
  EXPECT_EQ(Err(c().Attach(0)), EMFILE);
  EXPECT_EQ(Err(c().Create(root_h_, "n", O_RDWR, 0644)), EMFILE);
  EXPECT_NE(access((root_ + "/n").c_str(), F_OK), 0);
  ASSERT_TRUE(c().Close(r->entries[0].handle).ok());
  EXPECT_TRUE(c().Attach(0).ok());
}

// A thread swaps a directory with a symlink to the outside while walks and
// opens run: no descriptor and no stat the gofer hands out may ever be the
// outside directory or the secret file in it.
TEST_P(GoferTest, SymlinkSwappedInDuringWalksNeverEscapes) {
  ASSERT_EQ(mkdir((root_ + "/flip").c_str(), 0755), 0);
  WriteFile(root_ + "/flip/secret", "inside");
  ASSERT_EQ(symlink(outside_.c_str(), (root_ + "/flip_link").c_str()), 0);
  const DevIno outside_dir = Of(outside_);
  const DevIno secret = Of(outside_ + "/secret");
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread flipper([&] {
    std::string a = root_ + "/flip", b = root_ + "/flip_link";
    while (!stop.load()) {
      if (renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(),
                    RENAME_EXCHANGE) == 0) {
        swaps.fetch_add(1);
      }
    }
  });
  int reached_inside = 0;
  for (int i = 0; i < 3000; ++i) {
    auto r = c().Walk(root_h_, {"flip", "secret"});
    ASSERT_TRUE(r.ok());
    std::vector<Handle> hs;
    for (const HandleStat& e : r->entries) {
      hs.push_back(e.handle);
      EXPECT_NE(Of(e.stat), outside_dir);
      EXPECT_NE(Of(e.stat), secret);
    }
    if (r->entries.size() == 2) {
      auto o = c().Open(r->entries[1].handle, O_RDONLY);
      ASSERT_TRUE(o.ok()) << o.status();
      EXPECT_NE(Of(o->fd.get()), secret);
      EXPECT_EQ(ReadFd(o->fd.get()), "inside");
      ++reached_inside;
    } else if (r->entries.size() == 1 && S_ISLNK(r->entries[0].stat.mode)) {
      EXPECT_EQ(Err(c().Open(r->entries[0].handle, O_RDONLY)), ELOOP);
    } else if (r->entries.size() == 1 && S_ISDIR(r->entries[0].stat.mode)) {
      // The directory was moved away before "secret" was opened under it:
      // the inode held is still the inside one (checked above).
      auto o = c().Open(r->entries[0].handle, O_RDONLY);
      ASSERT_TRUE(o.ok());
    }
    ASSERT_TRUE(c().Close(hs).ok());
  }
  stop = true;
  flipper.join();
  EXPECT_GT(swaps.load(), 0);
  EXPECT_GT(reached_inside, 0);
  EXPECT_EQ(served_->server().openat2_supported(), GetParam());
}

TEST_P(GoferTest, ConcurrentClientsShareOneConnection) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = c().Walk(root_h_, {"dir", "inner"});
        if (!r.ok() || r->entries.size() != 2) continue;
        auto o = c().Open(r->entries[1].handle, O_RDONLY);
        if (o.ok() && ReadFd(o->fd.get()) == "inner") ok.fetch_add(1);
        (void)c().Close({r->entries[0].handle, r->entries[1].handle});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

INSTANTIATE_TEST_SUITE_P(Resolve, GoferTest, ::testing::Values(true, false),
                         [](const auto& info) {
                           return info.param ? "openat2" : "openat";
                         });

// The decoder and dispatcher on raw datagrams.
class RawTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = OpenServedMount(tmp_.path(), false);
    ASSERT_TRUE(m.ok());
    std::vector<ServedMount> mounts;
    mounts.push_back(std::move(*m));
    auto s = Server::Create(std::move(mounts));
    ASSERT_TRUE(s.ok());
    server_ = std::move(*s);
    conn_ = std::make_unique<Connection>(*server_);
  }
  MessageHeader Send(uint32_t type, absl::string_view body, uint64_t id = 7) {
    base::UniqueFd fd;
    std::string reply =
        conn_->HandleDatagram(EncodeMessage({id, type, 0}, body), &fd);
    MessageHeader h;
    absl::string_view rb;
    EXPECT_TRUE(DecodeHeader(reply, &h, &rb));
    if (h.error != 0) {
      EXPECT_TRUE(rb.empty());
      EXPECT_FALSE(fd.valid());
    }
    return h;
  }
  TempDir tmp_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(RawTest, MalformedRequestsGetErrorReplies) {
  base::UniqueFd fd;
  std::string reply = conn_->HandleDatagram("abc", &fd);
  MessageHeader h;
  absl::string_view body;
  ASSERT_TRUE(DecodeHeader(reply, &h, &body));
  EXPECT_EQ(h.error, EINVAL);
  EXPECT_EQ(Send(999, "").error, ENOSYS);
  EXPECT_EQ(Send(0, "").error, ENOSYS);
  EXPECT_EQ(Send(pb::WALK, "\xff\xff\xff\xff").error, EINVAL);
  MessageHeader ok = Send(pb::ATTACH, "", 42);
  EXPECT_EQ(ok.error, 0);
  EXPECT_EQ(ok.id, 42u);
  EXPECT_EQ(ok.type, static_cast<uint32_t>(pb::ATTACH));
  pb::CloseRequest close;
  for (size_t i = 0; i < kMaxCloseBatch + 1; ++i) close.add_handles(i);
  EXPECT_EQ(Send(pb::CLOSE, close.SerializeAsString()).error, E2BIG);
  pb::GetXattrRequest gx;
  gx.set_handle(1);
  gx.set_name("user.x");
  gx.set_size(0xffffffff);
  int err = Send(pb::GETXATTR, gx.SerializeAsString()).error;
  EXPECT_TRUE(err == ENODATA || err == EOPNOTSUPP) << err;
  EXPECT_EQ(conn_->handle_count(), 1u);
}

TEST_F(RawTest, GarbageOnTheSocketDoesNotStopTheServer) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  base::UniqueFd mine(sv[0]);
  std::thread t([&, fd = sv[1]] {
    EXPECT_TRUE(server_->Serve(base::UniqueFd(fd)).ok());
  });
  auto buf = std::make_unique_for_overwrite<char[]>(kMaxMessageSize);
  auto roundtrip = [&](absl::string_view data) {
    EXPECT_TRUE(SendDatagram(mine.get(), data).ok());
    auto n = RecvDatagram(mine.get(), buf.get(), kMaxMessageSize, nullptr);
    EXPECT_TRUE(n.ok());
    MessageHeader h;
    absl::string_view body;
    EXPECT_TRUE(DecodeHeader(absl::string_view(buf.get(), *n), &h, &body));
    return h;
  };
  EXPECT_EQ(roundtrip("x").error, EINVAL);
  EXPECT_EQ(roundtrip(std::string(kMaxMessageSize + 10, 'x')).error, EMSGSIZE);
  // A descriptor sent to the gofer is dropped, not kept.
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_TRUE(
      SendDatagram(mine.get(), EncodeMessage({1, 999, 0}, ""), devnull).ok());
  close(devnull);
  auto n = RecvDatagram(mine.get(), buf.get(), kMaxMessageSize, nullptr);
  ASSERT_TRUE(n.ok());
  // Still serving: a real request works.
  {
    Client client(std::move(mine));
    EXPECT_TRUE(client.Attach(0).ok());
  }  // closing the client's socket ends Serve
  t.join();
}

}  // namespace
}  // namespace gofer
