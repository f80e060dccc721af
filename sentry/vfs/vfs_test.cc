#include "sentry/vfs/vfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/test_util.h"

namespace sentry::vfs {
namespace {

using testing::GetFile;
using testing::ListDir;
using testing::P;
using testing::PutFile;

class VfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::tmpfs::RegisterTmpfs(vfs_);
    auto fs = vfs_.NewFilesystem("tmpfs", "", "mode=755");
    ASSERT_TRUE(fs.ok());
    auto root = vfs_.MountRoot(*fs, MountFlags{}, "rootfs");
    ASSERT_TRUE(root.ok());
    root_ = *root;
    ctx_ = vfs_.RootContext(root_);
    ctx_.umask = 0;
  }

  uint64_t Ino(absl::string_view path, bool follow = true) {
    auto st = vfs_.GetStat(ctx_, P(path), follow);
    EXPECT_TRUE(st.ok()) << path;
    return st.ok() ? st->ino : 0;
  }

  Context UserCtx(uint32_t uid, uint32_t gid) {
    Context c = ctx_;
    c.creds = std::make_shared<const auth::Credentials>(
        auth::Credentials::User(uid, gid));
    return c;
  }

  VirtualFilesystem vfs_;
  VirtualDentry root_;
  Context ctx_;
};

// The tree used by the resolution table.
void BuildTree(VirtualFilesystem& vfs, const Context& ctx) {
  ASSERT_OK(vfs.Mkdir(ctx, P("/a"), 0755));
  ASSERT_OK(vfs.Mkdir(ctx, P("/a/b"), 0755));
  ASSERT_OK(vfs.Mkdir(ctx, P("/a/b/c"), 0755));
  ASSERT_OK(PutFile(vfs, ctx, "/a/file", "hello"));
  ASSERT_OK(vfs.Symlink(ctx, "b", P("/a/link_to_b")));
  ASSERT_OK(vfs.Symlink(ctx, "/a/b", P("/a/abs_link")));
  ASSERT_OK(vfs.Symlink(ctx, "nonexistent", P("/a/dangling")));
  ASSERT_OK(vfs.Symlink(ctx, "loop2", P("/a/loop1")));
  ASSERT_OK(vfs.Symlink(ctx, "loop1", P("/a/loop2")));
  ASSERT_OK(vfs.Symlink(ctx, "self", P("/a/self")));
  ASSERT_OK(vfs.Symlink(ctx, "file", P("/a/link_to_file")));
  ASSERT_OK(vfs.Symlink(ctx, "..", P("/a/dotdot_link")));
  ASSERT_OK(vfs.Symlink(ctx, "/../../..", P("/a/up_link")));
}

struct ResolveRow {
  const char* path;
  int flags;
  int err;              // 0 = success
  const char* same_as;  // on success: the path whose inode it must be
};

TEST_F(VfsTest, PathResolutionTable) {
  BuildTree(vfs_, ctx_);
  const std::string long_name(256, 'x');
  const std::string long_path = "/a/" + long_name;
  const ResolveRow rows[] = {
      {"/a/b/c", O_RDONLY, 0, "/a/b/c"},
      {"/a/b/c/", O_RDONLY | O_DIRECTORY, 0, "/a/b/c"},
      {"//a///b//c", O_RDONLY, 0, "/a/b/c"},
      {"/a/./b/./c/.", O_RDONLY, 0, "/a/b/c"},
      {"/a/b/../file", O_RDONLY, 0, "/a/file"},
      {"/..", O_RDONLY, 0, "/"},
      {"/../../a", O_RDONLY, 0, "/a"},
      {"/a/b/c/../../..", O_RDONLY, 0, "/"},
      {"/", O_RDONLY | O_DIRECTORY, 0, "/"},
      {"/a/file", O_RDONLY, 0, "/a/file"},
      {"/a/file", O_RDWR, 0, "/a/file"},
      {"/a/file/", O_RDONLY, ENOTDIR, nullptr},
      {"/a/file/x", O_RDONLY, ENOTDIR, nullptr},
      {"/a/file/.", O_RDONLY, ENOTDIR, nullptr},
      {"/a/file", O_RDONLY | O_DIRECTORY, ENOTDIR, nullptr},
      {"/a/missing", O_RDONLY, ENOENT, nullptr},
      {"/a/missing/x", O_RDONLY, ENOENT, nullptr},
      {"/a/missing/x", O_RDONLY | O_CREAT, ENOENT, nullptr},
      {"", O_RDONLY, ENOENT, nullptr},
      {"/a/link_to_b/c", O_RDONLY, 0, "/a/b/c"},
      {"/a/abs_link/c", O_RDONLY, 0, "/a/b/c"},
      {"/a/link_to_b", O_RDONLY | O_DIRECTORY, 0, "/a/b"},
      {"/a/link_to_b/", O_RDONLY | O_NOFOLLOW, 0, "/a/b"},
      {"/a/link_to_b", O_RDONLY | O_NOFOLLOW | O_DIRECTORY, ELOOP, nullptr},
      {"/a/dotdot_link/a/file", O_RDONLY, 0, "/a/file"},
      {"/a/up_link", O_RDONLY, 0, "/"},
      {"/a/dangling", O_RDONLY, ENOENT, nullptr},
      {"/a/dangling/", O_RDONLY, ENOENT, nullptr},
      {"/a/dangling", O_RDONLY | O_CREAT | O_EXCL, EEXIST, nullptr},
      {"/a/dangling", O_RDONLY | O_CREAT | O_NOFOLLOW, ELOOP, nullptr},
      {"/a/loop1", O_RDONLY, ELOOP, nullptr},
      {"/a/loop1/x", O_RDONLY, ELOOP, nullptr},
      {"/a/self", O_RDONLY, ELOOP, nullptr},
      {"/a/loop1", O_RDONLY | O_CREAT, ELOOP, nullptr},
      {"/a/link_to_file", O_RDONLY, 0, "/a/file"},
      {"/a/link_to_file", O_RDONLY | O_NOFOLLOW, ELOOP, nullptr},
      {"/a/link_to_file/", O_RDONLY, ENOTDIR, nullptr},
      {"/a/link_to_file", O_RDONLY | O_CREAT, 0, "/a/file"},
      {"/a/b", O_WRONLY, EISDIR, nullptr},
      {"/a/b", O_RDWR, EISDIR, nullptr},
      {"/a/b", O_RDONLY | O_TRUNC, EISDIR, nullptr},
      {"/a/b", O_RDONLY | O_CREAT, EISDIR, nullptr},
      {"/a/b/", O_RDONLY | O_CREAT, EISDIR, nullptr},
      {"/a/new/", O_RDONLY | O_CREAT, EISDIR, nullptr},
      {"/", O_RDONLY | O_CREAT, EISDIR, nullptr},
      {"/a/file", O_RDONLY | O_CREAT | O_EXCL, EEXIST, nullptr},
      {"/a/b", O_RDONLY | O_CREAT | O_EXCL, EEXIST, nullptr},
      {"/a/file", O_ACCMODE, EINVAL, nullptr},
      {long_path.c_str(), O_RDONLY, ENAMETOOLONG, nullptr},
  };
  for (const ResolveRow& r : rows) {
    SCOPED_TRACE(absl::StrCat("path=\"", r.path, "\" flags=", r.flags));
    auto f = vfs_.Open(ctx_, P(r.path), r.flags, 0644);
    if (r.err != 0) {
      ASSERT_FALSE(f.ok());
      EXPECT_EQ(ToInt(f.error()), r.err) << ErrnoName(f.error());
      continue;
    }
    ASSERT_TRUE(f.ok()) << ErrnoName(f.error());
    auto st = (*f)->GetStat();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->ino, Ino(r.same_as));
  }
  // O_PATH|O_NOFOLLOW opens the symlink itself.
  auto lf = vfs_.Open(ctx_, P("/a/link_to_file"), O_PATH | O_NOFOLLOW, 0);
  ASSERT_OK(lf);
  EXPECT_TRUE((*lf)->inode()->IsSymlink());
  EXPECT_ERRNO((*lf)->Seek(0, SEEK_SET), EBADF);
  char c;
  SpanDst dst(&c, 1);
  EXPECT_ERRNO((*lf)->Read(dst), EBADF);
  // Relative paths start at the cwd or at the given directory.
  Context in_a = ctx_;
  auto a = vfs_.Resolve(ctx_, P("/a"), true);
  ASSERT_OK(a);
  in_a.cwd = *a;
  EXPECT_EQ(vfs_.GetStat(in_a, P("b/c"), true)->ino, Ino("/a/b/c"));
  EXPECT_EQ(vfs_.GetStat(in_a, P("../a/file"), true)->ino, Ino("/a/file"));
  auto b = vfs_.Resolve(ctx_, P("/a/b"), true);
  ASSERT_OK(b);
  EXPECT_EQ(vfs_.GetStat(ctx_, PathAt{*b, "c"}, true)->ino, Ino("/a/b/c"));
  EXPECT_EQ(vfs_.GetStat(ctx_, PathAt{*b, "/a"}, true)->ino, Ino("/a"));
}

TEST_F(VfsTest, SymlinkLimitIsForty) {
  ASSERT_OK(PutFile(vfs_, ctx_, "/target", "t"));
  // l0 -> target; l{i} -> l{i-1}. Opening l{n} follows n+1 links.
  ASSERT_OK(vfs_.Symlink(ctx_, "target", P("/l0")));
  for (int i = 1; i <= 40; ++i) {
    ASSERT_OK(
        vfs_.Symlink(ctx_, absl::StrCat("l", i - 1), P(absl::StrCat("/l", i))));
  }
  EXPECT_OK(vfs_.Open(ctx_, P("/l39"), O_RDONLY, 0));            // 40 links
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/l40"), O_RDONLY, 0), ELOOP);  // 41
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/l40"), true), ELOOP);
  // lstat does not follow the final link.
  EXPECT_OK(vfs_.GetStat(ctx_, P("/l40"), false));
  EXPECT_EQ(*vfs_.ReadLink(ctx_, P("/l40")), "l39");
  EXPECT_ERRNO(vfs_.ReadLink(ctx_, P("/target")), EINVAL);
}

TEST_F(VfsTest, CreateThroughDanglingSymlink) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d"), 0755));
  ASSERT_OK(vfs_.Symlink(ctx_, "/d/created", P("/link")));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/link"), O_WRONLY | O_CREAT | O_EXCL, 0644),
               EEXIST);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/d/created"), true), ENOENT);
  auto f = vfs_.Open(ctx_, P("/link"), O_WRONLY | O_CREAT, 0600);
  ASSERT_OK(f);
  auto st = vfs_.GetStat(ctx_, P("/d/created"), true);
  ASSERT_OK(st);
  EXPECT_EQ(st->mode, S_IFREG | 0600u);
}

TEST_F(VfsTest, TruncAppendAndUmask) {
  ctx_.umask = 022;
  ASSERT_OK(PutFile(vfs_, ctx_, "/f", "0123456789", 0666));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/f"), true)->mode, S_IFREG | 0644u);
  {
    auto f = vfs_.Open(ctx_, P("/f"), O_WRONLY | O_APPEND, 0);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Seek(0, SEEK_SET));
    ASSERT_OK(testing::WriteString(**f, "ab"));
    EXPECT_EQ(*(*f)->Seek(0, SEEK_CUR), 12);
  }
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/f"), "0123456789ab");
  auto f = vfs_.Open(ctx_, P("/f"), O_RDWR | O_TRUNC, 0);
  ASSERT_OK(f);
  EXPECT_EQ((*f)->GetStat()->size, 0);
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/dir"), 0777));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/dir"), true)->mode, S_IFDIR | 0755u);
  // Seek semantics.
  ASSERT_OK(testing::WriteString(**f, "abcdef"));
  EXPECT_EQ(*(*f)->Seek(-2, SEEK_END), 4);
  EXPECT_ERRNO((*f)->Seek(-10, SEEK_CUR), EINVAL);
  EXPECT_EQ(*(*f)->Seek(1, SEEK_DATA), 1);
  EXPECT_EQ(*(*f)->Seek(1, SEEK_HOLE), 6);
  EXPECT_ERRNO((*f)->Seek(6, SEEK_DATA), ENXIO);
  EXPECT_ERRNO((*f)->Seek(0, 99), EINVAL);
  // Sparse: writing past the end leaves a zero-filled hole.
  char x = 'x';
  SpanSrc src(&x, 1);
  ASSERT_OK((*f)->PWrite(src, 10000));
  std::string all = *GetFile(vfs_, ctx_, "/f");
  ASSERT_EQ(all.size(), 10001u);
  EXPECT_EQ(all.substr(0, 6), "abcdef");
  EXPECT_EQ(all[5000], '\0');
  EXPECT_EQ(all[10000], 'x');
  SpanDst xdst(&x, 1);
  EXPECT_ERRNO((*f)->PRead(xdst, -1), EINVAL);
  ASSERT_OK((*f)->Truncate(3));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/f"), "abc");
  EXPECT_ERRNO(vfs_.Truncate(ctx_, P("/dir"), 0), EISDIR);
  EXPECT_ERRNO(vfs_.Truncate(ctx_, P("/f"), -1), EINVAL);
}

TEST_F(VfsTest, DotDotAcrossMountsAndChroot) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/mnt"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/jail"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/jail/in"), 0755));
  auto fs = vfs_.NewFilesystem("tmpfs", "", "");
  ASSERT_OK(fs);
  ASSERT_OK(vfs_.MountAt(ctx_, P("/mnt"), *fs, MountFlags{}, "tmp"));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/mnt/x"), 0755));
  ASSERT_OK(vfs_.Symlink(ctx_, "../..", P("/mnt/x/up2")));
  const uint64_t root_ino = Ino("/");
  // The mounted root hides the directory below it.
  EXPECT_NE(Ino("/mnt"), 0u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/mnt"), true)->dev,
            vfs_.GetStat(ctx_, P("/mnt/x"), true)->dev);
  EXPECT_NE(vfs_.GetStat(ctx_, P("/mnt"), true)->dev,
            vfs_.GetStat(ctx_, P("/jail"), true)->dev);
  EXPECT_EQ(Ino("/mnt/.."), root_ino);
  EXPECT_EQ(Ino("/mnt/x/../.."), root_ino);
  EXPECT_EQ(Ino("/mnt/x/up2/jail"), Ino("/jail"));
  EXPECT_EQ(Ino("/mnt/x/../../mnt/x"), Ino("/mnt/x"));
  auto x = vfs_.Resolve(ctx_, P("/mnt/x"), true);
  ASSERT_OK(x);
  EXPECT_EQ(*vfs_.GetCwd(ctx_, *x), "/mnt/x");
  EXPECT_EQ(*vfs_.GetCwd(ctx_, root_), "/");

  // A chroot: ".." and absolute symlinks stay inside.
  Context jail = ctx_;
  auto j = vfs_.Resolve(ctx_, P("/jail"), true);
  ASSERT_OK(j);
  jail.root = jail.cwd = *j;
  ASSERT_OK(vfs_.Symlink(ctx_, "/../../..", P("/jail/in/escape")));
  EXPECT_EQ(vfs_.GetStat(jail, P("/.."), true)->ino, Ino("/jail"));
  EXPECT_EQ(vfs_.GetStat(jail, P("../../.."), true)->ino, Ino("/jail"));
  EXPECT_EQ(vfs_.GetStat(jail, P("in/escape"), true)->ino, Ino("/jail"));
  auto in = vfs_.Resolve(jail, P("/in"), true);
  ASSERT_OK(in);
  EXPECT_EQ(*vfs_.GetCwd(jail, *in), "/in");
  // Outside the jail's root: "(unreachable)".
  EXPECT_EQ(*vfs_.GetCwd(jail, *x), "(unreachable)/mnt/x");

  // Busy and invalid unmounts; rmdir of a mount point.
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/mnt")), EBUSY);
  EXPECT_ERRNO(vfs_.Unmount(ctx_, P("/mnt/x")), EINVAL);
  EXPECT_ERRNO(vfs_.Unmount(ctx_, P("/")), EBUSY);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/mnt/x"), P("/jail/x"), 0), EXDEV);
  EXPECT_ERRNO(vfs_.Link(ctx_, P("/mnt/x/up2"), P("/jail/l"), false), EXDEV);
  auto mounts = vfs_.Mounts(ctx_);
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[1].path, "/mnt");
  EXPECT_EQ(mounts[1].type, "tmpfs");
  ASSERT_OK(vfs_.Unmount(ctx_, P("/mnt")));
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/mnt/x"), true), ENOENT);
}

// A subcontainer's tree (MountTreeRoot): separate from the root tree, its
// mounts listed only to contexts rooted in it, released as a whole.
TEST_F(VfsTest, SeparateMountTrees) {
  ASSERT_OK(PutFile(vfs_, ctx_, "/in-root", "r"));
  auto fs = vfs_.NewFilesystem("tmpfs", "", "mode=755");
  ASSERT_OK(fs);
  VirtualDentry other = vfs_.MountTreeRoot(*fs, MountFlags{}, "rootfs");
  Context octx = vfs_.RootContext(other);
  octx.umask = 0;
  ASSERT_OK(vfs_.Mkdir(octx, P("/mnt"), 0755));
  ASSERT_OK(PutFile(vfs_, octx, "/in-other", "o"));
  auto sub = vfs_.NewFilesystem("tmpfs", "", "");
  ASSERT_OK(sub);
  ASSERT_OK(vfs_.MountAt(octx, P("/mnt"), *sub, MountFlags{}, "sub"));
  ASSERT_OK(PutFile(vfs_, octx, "/mnt/deep", "d"));
  // Each tree sees only its own files; ".." stays in the tree.
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/in-other"), true), ENOENT);
  EXPECT_ERRNO(vfs_.GetStat(octx, P("/in-root"), true), ENOENT);
  EXPECT_ERRNO(vfs_.GetStat(octx, P("/../in-root"), true), ENOENT);
  EXPECT_EQ(*GetFile(vfs_, octx, "/mnt/deep"), "d");
  // Mounts() per tree.
  auto om = vfs_.Mounts(octx);
  ASSERT_EQ(om.size(), 2u);
  EXPECT_EQ(om[0].path, "/");
  EXPECT_EQ(om[1].path, "/mnt");
  ASSERT_EQ(vfs_.Mounts(ctx_).size(), 1u);
  // Released: the tree's mounts are gone from the VFS; the root tree stays.
  vfs_.ReleaseMountTree(other.mount);
  EXPECT_TRUE(vfs_.Mounts(octx).empty());
  ASSERT_EQ(vfs_.Mounts(ctx_).size(), 1u);
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/in-root"), "r");
}

TEST_F(VfsTest, BindMountsAndMountFlags) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/src"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/src/sub"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/src/sub/f", "data"));
  ASSERT_OK(
      vfs_.Mknod(ctx_, P("/src/sub/null"), S_IFCHR | 0666, makedev(1, 3)));
  ASSERT_OK(PutFile(vfs_, ctx_, "/src/sub/prog", "#!", 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/ro"), 0755));
  MountFlags ro{
      .read_only = true, .nosuid = true, .nodev = true, .noexec = true};
  ASSERT_OK(vfs_.BindMount(ctx_, P("/src/sub"), P("/ro"), ro));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/ro/f"), "data");
  EXPECT_EQ(Ino("/ro/f"), Ino("/src/sub/f"));
  EXPECT_EQ(Ino("/ro/.."),
            Ino("/"));  // ".." of a bind root: its mountpoint's parent
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/ro/f"), O_WRONLY, 0), EROFS);
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/ro/new"), O_WRONLY | O_CREAT, 0644), EROFS);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/ro/d"), 0755), EROFS);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/ro/f"), 0755), EEXIST);
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/ro/f")), EROFS);
  EXPECT_ERRNO(vfs_.Chmod(ctx_, P("/ro/f"), 0600, true), EROFS);
  EXPECT_ERRNO(vfs_.Truncate(ctx_, P("/ro/f"), 0), EROFS);
  EXPECT_ERRNO(vfs_.Access(ctx_, P("/ro/f"), W_OK, true, false), EROFS);
  EXPECT_ERRNO(vfs_.Access(ctx_, P("/ro/prog"), X_OK, true, false), EACCES);
  EXPECT_OK(vfs_.Access(ctx_, P("/src/sub/prog"), X_OK, true, false));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/ro/null"), O_RDONLY, 0), EACCES);  // nodev
  auto sfs = vfs_.GetStatFs(ctx_, P("/ro"));
  ASSERT_OK(sfs);
  EXPECT_TRUE(sfs->flags & ST_RDONLY);
  EXPECT_TRUE(sfs->flags & ST_NODEV);
  // Writes through the original location still work and show through.
  ASSERT_OK(PutFile(vfs_, ctx_, "/src/sub/g", "new"));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/ro/g"), "new");
  // Remount read-write.
  ASSERT_OK(vfs_.SetMountFlags(ctx_, P("/ro"), MountFlags{}));
  EXPECT_OK(vfs_.Open(ctx_, P("/ro/f"), O_WRONLY, 0));
  EXPECT_ERRNO(vfs_.SetMountFlags(ctx_, P("/ro/f"), MountFlags{}), EINVAL);
  // File bind mounts; type mismatch.
  ASSERT_OK(PutFile(vfs_, ctx_, "/other", "other"));
  ASSERT_OK(vfs_.BindMount(ctx_, P("/src/sub/f"), P("/other"), MountFlags{}));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/other"), "data");
  EXPECT_ERRNO(vfs_.BindMount(ctx_, P("/src"), P("/other"), MountFlags{}),
               ENOTDIR);
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/other")), EBUSY);
}

struct PermRow {
  const char* what;
  std::function<ErrnoStatus()> op;
  int err;
};

TEST_F(VfsTest, PermissionDenialTable) {
  // Owned by root unless noted. uid 1000 gid 1000 is the caller.
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/rootdir"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/rootdir/f", "x", 0644));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/noexec"), 0766));
  ASSERT_OK(PutFile(vfs_, ctx_, "/noexec/f", "x", 0666));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/tmp"), 01777));
  ASSERT_OK(PutFile(vfs_, ctx_, "/tmp/rootfile", "x", 0666));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/home"), 0755));
  ASSERT_OK(vfs_.Chown(ctx_, P("/home"), 1000, 1000, true));
  ASSERT_OK(PutFile(vfs_, ctx_, "/home/mine", "x", 0600));
  ASSERT_OK(vfs_.Chown(ctx_, P("/home/mine"), 1000, 1000, true));
  ASSERT_OK(PutFile(vfs_, ctx_, "/home/theirs", "x", 0600));
  ASSERT_OK(PutFile(vfs_, ctx_, "/groupfile", "x", 0640));
  ASSERT_OK(vfs_.Chown(ctx_, P("/groupfile"), 0, 1000, true));
  ASSERT_OK(PutFile(vfs_, ctx_, "/script", "x", 0644));

  Context u = UserCtx(1000, 1000);
  auto put = [&](absl::string_view p) { return PutFile(vfs_, u, p, "y"); };
  auto open = [&](absl::string_view p, int flags) -> ErrnoStatus {
    RETURN_IF_ERRNO(vfs_.Open(u, P(p), flags, 0644));
    return OkErrno();
  };
  const PermRow rows[] = {
      {"read root's 0644 file", [&] { return open("/rootdir/f", O_RDONLY); },
       0},
      {"write root's 0644 file", [&] { return open("/rootdir/f", O_WRONLY); },
       EACCES},
      {"O_TRUNC needs write",
       [&] { return open("/rootdir/f", O_RDONLY | O_TRUNC); }, EACCES},
      {"create in root's 0755 dir", [&] { return put("/rootdir/new"); },
       EACCES},
      {"mkdir in root's dir",
       [&] { return vfs_.Mkdir(u, P("/rootdir/d"), 0755); }, EACCES},
      {"unlink in root's dir", [&] { return vfs_.Unlink(u, P("/rootdir/f")); },
       EACCES},
      {"search without x", [&] { return open("/noexec/f", O_RDONLY); }, EACCES},
      {"stat without x",
       [&]() -> ErrnoStatus {
         RETURN_IF_ERRNO(vfs_.GetStat(u, P("/noexec/f"), true));
         return OkErrno();
       },
       EACCES},
      {"list without x is fine",
       [&]() -> ErrnoStatus {
         RETURN_IF_ERRNO(ListDir(vfs_, u, "/noexec"));
         return OkErrno();
       },
       0},
      {"create in sticky /tmp", [&] { return put("/tmp/mine"); }, 0},
      {"unlink other's file in sticky dir",
       [&] { return vfs_.Unlink(u, P("/tmp/rootfile")); }, EPERM},
      {"rename other's file in sticky dir",
       [&] { return vfs_.Rename(u, P("/tmp/rootfile"), P("/tmp/x"), 0); },
       EPERM},
      {"unlink own file in sticky dir",
       [&] { return vfs_.Unlink(u, P("/tmp/mine")); }, 0},
      {"unlink root's file in own dir",
       [&] { return vfs_.Unlink(u, P("/home/theirs")); }, 0},
      {"group read", [&] { return open("/groupfile", O_RDONLY); }, 0},
      {"group write", [&] { return open("/groupfile", O_WRONLY); }, EACCES},
      {"chmod other's file",
       [&] { return vfs_.Chmod(u, P("/rootdir/f"), 0777, true); }, EPERM},
      {"chmod own file",
       [&] { return vfs_.Chmod(u, P("/home/mine"), 0640, true); }, 0},
      {"chown to another user",
       [&] { return vfs_.Chown(u, P("/home/mine"), 0, -1, true); }, EPERM},
      {"chown own file to own group",
       [&] { return vfs_.Chown(u, P("/home/mine"), -1, 1000, true); }, 0},
      {"chown own file to foreign group",
       [&] { return vfs_.Chown(u, P("/home/mine"), -1, 0, true); }, EPERM},
      {"utimes explicit on other's file",
       [&] {
         return vfs_.Utimens(u, P("/tmp/rootfile"), {1, 0}, {1, 0}, true);
       },
       EPERM},
      {"utimes now on other's writable file",
       [&] {
         return vfs_.Utimens(u, P("/tmp/rootfile"), {0, UTIME_NOW},
                             {0, UTIME_NOW}, true);
       },
       0},
      {"utimes now on other's read-only file",
       [&] {
         return vfs_.Utimens(u, P("/rootdir/f"), {0, UTIME_NOW},
                             {0, UTIME_OMIT}, true);
       },
       EACCES},
      {"truncate other's file",
       [&] { return vfs_.Truncate(u, P("/rootdir/f"), 0); }, EACCES},
      {"mknod device without CAP_MKNOD",
       [&] {
         return vfs_.Mknod(u, P("/home/dev"), S_IFCHR | 0600, makedev(1, 3));
       },
       EPERM},
      {"mknod fifo",
       [&] { return vfs_.Mknod(u, P("/home/fifo"), S_IFIFO | 0600, 0); }, 0},
      {"access R_OK",
       [&] { return vfs_.Access(u, P("/rootdir/f"), R_OK, true, false); }, 0},
      {"access W_OK",
       [&] { return vfs_.Access(u, P("/rootdir/f"), W_OK, true, false); },
       EACCES},
      {"access X_OK",
       [&] { return vfs_.Access(u, P("/script"), X_OK, true, false); }, EACCES},
      {"access bad mode",
       [&] { return vfs_.Access(u, P("/script"), 8, true, false); }, EINVAL},
      {"root may not exec a file without x bits",
       [&] { return vfs_.Access(ctx_, P("/script"), X_OK, true, false); },
       EACCES},
  };
  for (const PermRow& r : rows) {
    SCOPED_TRACE(r.what);
    ErrnoStatus s = r.op();
    if (r.err == 0) {
      EXPECT_TRUE(s.ok()) << ErrnoName(s.error());
    } else {
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(ToInt(s.error()), r.err) << ErrnoName(s.error());
    }
  }
  EXPECT_OK(vfs_.Open(ctx_, P("/rootdir/f"), O_WRONLY, 0));
  // access() uses the real ids: a setuid-root caller is still uid 1000.
  auto setuid =
      std::make_shared<auth::Credentials>(auth::Credentials::User(1000, 1000));
  setuid->effective_uid = setuid->fs_uid = 0;
  setuid->cap_effective = setuid->cap_permitted = auth::kAllCaps;
  Context s = ctx_;
  s.creds = setuid;
  EXPECT_ERRNO(vfs_.Access(s, P("/rootdir/f"), W_OK, true, false), EACCES);
  EXPECT_OK(vfs_.Access(s, P("/rootdir/f"), W_OK, true, true));
  // chown clears set-id bits.
  ASSERT_OK(vfs_.Chmod(ctx_, P("/script"), 06755, true));
  ASSERT_OK(vfs_.Chown(ctx_, P("/script"), 5, 5, true));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/script"), true)->mode, S_IFREG | 0755u);
  // Files created in a setgid directory take its group.
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/sgid"), 02777));
  ASSERT_OK(vfs_.Chown(ctx_, P("/sgid"), 0, 77, true));
  ASSERT_OK(vfs_.Chmod(ctx_, P("/sgid"), 02777, true));
  ASSERT_OK(vfs_.Mkdir(u, P("/sgid/sub"), 0755));
  auto st = vfs_.GetStat(ctx_, P("/sgid/sub"), true);
  EXPECT_EQ(st->gid, 77u);
  EXPECT_EQ(st->uid, 1000u);
  EXPECT_TRUE(st->mode & S_ISGID);
}

TEST_F(VfsTest, RenameCases) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d1"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d2"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d1/sub"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d1/sub/deep"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d2/nonempty"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/d2/nonempty/x", "x"));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d2/empty"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/d1/f", "one"));
  ASSERT_OK(PutFile(vfs_, ctx_, "/d2/g", "two"));

  // Across directories, keeping the inode; cached paths follow.
  const uint64_t f_ino = Ino("/d1/f");
  auto open_f = vfs_.Open(ctx_, P("/d1/f"), O_RDONLY, 0);
  ASSERT_OK(open_f);
  ASSERT_OK(vfs_.Rename(ctx_, P("/d1/f"), P("/d2/f"), 0));
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/d1/f"), true), ENOENT);
  EXPECT_EQ(Ino("/d2/f"), f_ino);
  EXPECT_EQ(vfs_.PathOf(ctx_, (*open_f)->location()), "/d2/f");
  // Replacing a file.
  ASSERT_OK(vfs_.Rename(ctx_, P("/d2/f"), P("/d2/g"), 0));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/d2/g"), "one");
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/d2/f"), true), ENOENT);
  // Directory moves and link counts.
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d1"), true)->nlink, 3u);
  auto sub = vfs_.Resolve(ctx_, P("/d1/sub/deep"), true);
  ASSERT_OK(vfs_.Rename(ctx_, P("/d1/sub"), P("/d2/sub"), 0));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d1"), true)->nlink, 2u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d2"), true)->nlink, 5u);
  EXPECT_EQ(*vfs_.GetCwd(ctx_, *sub), "/d2/sub/deep");
  EXPECT_EQ(Ino("/d2/sub/deep/../.."), Ino("/d2"));
  // Error cases.
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/sub"), P("/d2/sub/deep/in"), 0),
               EINVAL);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/sub"), P("/d2/sub/x"), 0), EINVAL);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/sub/deep"), P("/d2"), 0), ENOTEMPTY);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/sub"), P("/d2/nonempty"), 0),
               ENOTEMPTY);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/sub"), P("/d2/g"), 0), ENOTDIR);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/empty"), 0), EISDIR);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/missing"), P("/d2/x"), 0), ENOENT);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/missing/x"), 0), ENOENT);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g/"), P("/d2/h"), 0), ENOTDIR);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/."), P("/d2/h"), 0), EBUSY);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/"), P("/d2/h"), 0), EBUSY);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/empty"), RENAME_NOREPLACE),
               EEXIST);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/nope"), RENAME_EXCHANGE),
               ENOENT);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/h"),
                           RENAME_EXCHANGE | RENAME_NOREPLACE),
               EINVAL);
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/h"), 1 << 7), EINVAL);
  // Replacing an empty directory works.
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d2/sub2"), 0755));
  ASSERT_OK(vfs_.Rename(ctx_, P("/d2/sub2"), P("/d2/empty"), 0));
  // Exchange a file and a directory.
  const uint64_t g = Ino("/d2/g"), e = Ino("/d2/empty");
  ASSERT_OK(vfs_.Rename(ctx_, P("/d2/g"), P("/d2/empty"), RENAME_EXCHANGE));
  EXPECT_EQ(Ino("/d2/g"), e);
  EXPECT_EQ(Ino("/d2/empty"), g);
  // Same-inode rename (hard links) is a no-op.
  ASSERT_OK(vfs_.Link(ctx_, P("/d2/empty"), P("/d2/hl"), false));
  ASSERT_OK(vfs_.Rename(ctx_, P("/d2/empty"), P("/d2/hl"), 0));
  EXPECT_EQ(Ino("/d2/empty"), Ino("/d2/hl"));
  // Unlink/rmdir errors.
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/d2/sub")), EISDIR);
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/d2/hl")), ENOTDIR);
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/d2/nonempty")), ENOTEMPTY);
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/d2/sub/.")), EINVAL);
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/d2/sub/..")), ENOTEMPTY);
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/")), EBUSY);
  EXPECT_ERRNO(vfs_.Unlink(ctx_, P("/d2/hl/")), ENOTDIR);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/d2"), 0755), EEXIST);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, P("/d2/x/y"), 0755), ENOENT);
  EXPECT_OK(vfs_.Mkdir(ctx_, P("/d2/trailing/"), 0755));
  // getcwd of a removed directory.
  auto gone = vfs_.Resolve(ctx_, P("/d2/trailing"), true);
  ASSERT_OK(vfs_.Rmdir(ctx_, P("/d2/trailing")));
  EXPECT_ERRNO(vfs_.GetCwd(ctx_, *gone), ENOENT);
  EXPECT_ERRNO(vfs_.Mkdir(ctx_, PathAt{*gone, "x"}, 0755), ENOENT);
}

TEST_F(VfsTest, HardLinks) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/d"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/d/a", "shared data"));
  ASSERT_OK(vfs_.Link(ctx_, P("/d/a"), P("/d/b"), false));
  ASSERT_OK(vfs_.Link(ctx_, P("/d/a"), P("/c"), false));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d/a"), true)->nlink, 3u);
  EXPECT_EQ(Ino("/d/a"), Ino("/c"));
  ASSERT_OK(PutFile(vfs_, ctx_, "/c", "changed"));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/d/b"), "changed");
  auto open = vfs_.Open(ctx_, P("/d/a"), O_RDONLY, 0);
  ASSERT_OK(vfs_.Unlink(ctx_, P("/d/a")));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/d/b"), true)->nlink, 2u);
  ASSERT_OK(vfs_.Unlink(ctx_, P("/d/b")));
  ASSERT_OK(vfs_.Unlink(ctx_, P("/c")));
  // The open file keeps the data alive with nlink 0.
  EXPECT_EQ((*open)->GetStat()->nlink, 0u);
  EXPECT_EQ(testing::ReadAll(**open), "changed");
  EXPECT_EQ(vfs_.PathOf(ctx_, (*open)->location()), "/d/a (deleted)");
  EXPECT_ERRNO(vfs_.Link(ctx_, P("/d"), P("/dlink"), false), EPERM);
  ASSERT_OK(PutFile(vfs_, ctx_, "/x", "x"));
  EXPECT_ERRNO(vfs_.Link(ctx_, P("/x"), P("/d"), false), EEXIST);
  EXPECT_ERRNO(vfs_.Link(ctx_, P("/missing"), P("/y"), false), ENOENT);
  // linkat without AT_SYMLINK_FOLLOW links the symlink itself.
  ASSERT_OK(vfs_.Symlink(ctx_, "x", P("/sl")));
  ASSERT_OK(vfs_.Link(ctx_, P("/sl"), P("/sl2"), false));
  EXPECT_EQ(Ino("/sl2", false), Ino("/sl", false));
  ASSERT_OK(vfs_.Link(ctx_, P("/sl"), P("/x2"), true));
  EXPECT_EQ(Ino("/x2", false), Ino("/x"));
}

TEST_F(VfsTest, TenThousandEntriesListedOnce) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/big"), 0755));
  constexpr int kN = 10000;
  for (int i = 0; i < kN; ++i) {
    ASSERT_OK(
        vfs_.Mknod(ctx_, P(absl::StrCat("/big/f", i)), S_IFREG | 0644, 0));
  }
  // Batches of 100 through one description.
  auto f = vfs_.Open(ctx_, P("/big"), O_RDONLY | O_DIRECTORY, 0);
  ASSERT_OK(f);
  std::vector<int> seen(kN, 0);
  int dots = 0;
  for (;;) {
    int in_batch = 0;
    ASSERT_OK((*f)->IterateDir([&](const DirEntry& e) {
      if (in_batch == 100) return false;
      ++in_batch;
      if (e.name == "." || e.name == "..") {
        ++dots;
        EXPECT_EQ(e.type, DT_DIR);
      } else {
        EXPECT_EQ(e.type, DT_REG);
        seen[std::stoi(e.name.substr(1))]++;
      }
      return true;
    }));
    if (in_batch == 0) break;
  }
  EXPECT_EQ(dots, 2);
  for (int i = 0; i < kN; ++i) ASSERT_EQ(seen[i], 1) << i;

  // Several descriptions iterate concurrently, resuming from saved cookies
  // (lseek), while entries are removed and added: each entry that exists
  // throughout is seen exactly once by each iterator.
  constexpr int kIters = 4;
  std::vector<FileRef> its;
  std::vector<std::vector<int>> counts(kIters, std::vector<int>(kN, 0));
  std::vector<int64_t> cookies(kIters, 0);
  for (int i = 0; i < kIters; ++i) {
    its.push_back(*vfs_.Open(ctx_, P("/big"), O_RDONLY | O_DIRECTORY, 0));
  }
  std::vector<bool> done(kIters, false);
  int round = 0;
  while (std::count(done.begin(), done.end(), true) < kIters) {
    for (int i = 0; i < kIters; ++i) {
      if (done[i]) continue;
      ASSERT_OK(its[i]->Seek(cookies[i], SEEK_SET));
      int n = 0;
      ASSERT_OK(its[i]->IterateDir([&](const DirEntry& e) {
        if (n == 37 + i) return false;
        ++n;
        if (e.name[0] == 'f') counts[i][std::stoi(e.name.substr(1))]++;
        return true;
      }));
      cookies[i] = *its[i]->Seek(0, SEEK_CUR);
      if (n == 0) done[i] = true;
    }
    // Churn: remove the even entries >= 9000 as we go, add new names.
    int victim = 9000 + 2 * round;
    if (victim < kN) {
      ASSERT_OK(vfs_.Unlink(ctx_, P(absl::StrCat("/big/f", victim))));
    }
    if (round < 100) {
      ASSERT_OK(vfs_.Mknod(ctx_, P(absl::StrCat("/big/n", round)), S_IFREG, 0));
    }
    ++round;
  }
  for (int i = 0; i < kIters; ++i) {
    for (int k = 0; k < kN; ++k) {
      bool removed = k >= 9000 && k % 2 == 0;
      if (removed) {
        ASSERT_LE(counts[i][k], 1) << "iterator " << i << " entry " << k;
      } else {
        ASSERT_EQ(counts[i][k], 1) << "iterator " << i << " entry " << k;
      }
    }
  }
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/big")), ENOTEMPTY);
}

uint64_t Fnv1a(uint64_t h, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

TEST_F(VfsTest, HundredMegabyteRoundTrip) {
  constexpr size_t kTotal = 100 << 20;
  constexpr size_t kChunk = 1 << 20 | 123;  // odd size: unaligned page writes
  std::vector<unsigned char> chunk(kChunk);
  uint64_t seed = 88172645463325252ull;
  auto f = vfs_.Open(ctx_, P("/big.bin"), O_RDWR | O_CREAT, 0644);
  ASSERT_OK(f);
  uint64_t wh = 14695981039346656037ull;
  size_t written = 0;
  while (written < kTotal) {
    size_t n = std::min(kChunk, kTotal - written);
    for (size_t i = 0; i < n; ++i) {
      seed ^= seed << 13;
      seed ^= seed >> 7;
      seed ^= seed << 17;
      chunk[i] = static_cast<unsigned char>(seed);
    }
    SpanSrc src(chunk.data(), n);
    auto w = (*f)->Write(src);
    ASSERT_OK(w);
    ASSERT_EQ(*w, n);
    wh = Fnv1a(wh, chunk.data(), n);
    written += n;
  }
  EXPECT_EQ((*f)->GetStat()->size, static_cast<int64_t>(kTotal));
  EXPECT_EQ((*f)->GetStat()->blocks, static_cast<int64_t>(kTotal / 512));
  ASSERT_OK((*f)->Seek(0, SEEK_SET));
  uint64_t rh = 14695981039346656037ull;
  size_t total_read = 0;
  std::vector<unsigned char> buf(777777);
  for (;;) {
    SpanDst dst(buf.data(), buf.size());
    auto r = (*f)->Read(dst);
    ASSERT_OK(r);
    if (*r == 0) break;
    rh = Fnv1a(rh, buf.data(), *r);
    total_read += *r;
  }
  EXPECT_EQ(total_read, kTotal);
  EXPECT_EQ(rh, wh);
}

TEST_F(VfsTest, TmpfsSizeLimit) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/small"), 0755));
  auto fs = vfs_.NewFilesystem("tmpfs", "", "size=16k,mode=700,uid=5");
  ASSERT_OK(fs);
  ASSERT_OK(vfs_.MountAt(ctx_, P("/small"), *fs, MountFlags{}, "tmpfs"));
  auto st = vfs_.GetStat(ctx_, P("/small"), true);
  EXPECT_EQ(st->mode, S_IFDIR | 0700u);
  EXPECT_EQ(st->uid, 5u);
  auto f = vfs_.Open(ctx_, P("/small/f"), O_WRONLY | O_CREAT, 0644);
  ASSERT_OK(f);
  std::string data(20000, 'z');
  auto n = testing::WriteString(**f, data);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 16384u);  // short write at the limit
  EXPECT_ERRNO(testing::WriteString(**f, "more"), ENOSPC);
  auto sfs = vfs_.GetStatFs(ctx_, P("/small"));
  EXPECT_EQ(sfs->blocks, 4u);
  EXPECT_EQ(sfs->blocks_free, 0u);
  ASSERT_OK((*f)->Truncate(0));
  EXPECT_EQ(vfs_.GetStatFs(ctx_, P("/small"))->blocks_free, 4u);
  EXPECT_ERRNO(vfs_.NewFilesystem("tmpfs", "", "size=abc"), EINVAL);
  EXPECT_ERRNO(vfs_.NewFilesystem("tmpfs", "", "bogus=1"), EINVAL);
  EXPECT_ERRNO(vfs_.NewFilesystem("nosuchfs", "", ""), ENODEV);
}

TEST_F(VfsTest, DupSharesOffsetAndFlags) {
  ASSERT_OK(PutFile(vfs_, ctx_, "/f", "abcdef"));
  auto f = vfs_.Open(ctx_, P("/f"), O_RDWR, 0);
  ASSERT_OK(f);
  FileRef a = *f, b = *f;  // two descriptors, one description
  char c[2];
  SpanDst dst(c, 2);
  ASSERT_OK(a->Read(dst));
  ASSERT_OK(b->Read(dst));
  EXPECT_EQ(std::string(c, 2), "cd");
  b->SetStatusFlags(O_APPEND | O_NONBLOCK | O_RDONLY);
  EXPECT_EQ(a->flags() & (O_APPEND | O_NONBLOCK | O_ACCMODE),
            O_APPEND | O_NONBLOCK | O_RDWR);  // access mode unchanged
  auto other = vfs_.Open(ctx_, P("/f"), O_RDONLY, 0);
  EXPECT_EQ(*(*other)->Seek(0, SEEK_CUR), 0);  // a separate open: own offset
}

// Lookups, renames, creations and removals from several threads: no
// deadlock, no crash, and the tree is consistent at the end.
TEST_F(VfsTest, ConcurrentNamespaceOperations) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/a"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/b"), 0755));
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/a/d"), 0755));
  ASSERT_OK(PutFile(vfs_, ctx_, "/a/d/file", "x"));
  constexpr int kIters = 2000;
  std::atomic<int> errors{0};
  std::thread renamer([&] {
    for (int i = 0; i < kIters; ++i) {
      const char* from = i % 2 ? "/b/d" : "/a/d";
      const char* to = i % 2 ? "/a/d" : "/b/d";
      if (!vfs_.Rename(ctx_, P(from), P(to), 0).ok()) ++errors;
    }
  });
  std::thread creator([&] {
    for (int i = 0; i < kIters; ++i) {
      if (!vfs_.Mknod(ctx_, P("/a/tmp"), S_IFREG | 0644, 0).ok()) ++errors;
      if (!vfs_.Unlink(ctx_, P("/a/tmp")).ok()) ++errors;
    }
  });
  auto reader = [&] {
    for (int i = 0; i < kIters; ++i) {
      // Either location may hold the directory at any time; a lookup sees
      // one of them or ENOENT, never an error of another kind.
      for (const char* p : {"/a/d/file", "/b/d/../d/file"}) {
        auto st = vfs_.GetStat(ctx_, P(p), true);
        if (!st.ok() && st.error() != Errno{ENOENT}) ++errors;
      }
      (void)ListDir(vfs_, ctx_, "/a");
    }
  };
  std::thread r1(reader), r2(reader);
  renamer.join();
  creator.join();
  r1.join();
  r2.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/a/d/file"), "x");  // even number of moves
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/b/d"), true), ENOENT);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/a"), true)->nlink, 3u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/b"), true)->nlink, 2u);
}

}  // namespace
}  // namespace sentry::vfs
