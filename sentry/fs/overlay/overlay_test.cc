#include "sentry/fs/overlay/overlay.h"

#include <fcntl.h>
#include <linux/fs.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::overlay {
namespace {

using vfs::testing::GetFile;
using vfs::testing::ListDir;
using vfs::testing::P;
using vfs::testing::PutFile;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The lower layer, populated through its own VFS.
    tmpfs::RegisterTmpfs(lower_vfs_);
    lower_fs_ =
        std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = 0755});
    auto lroot = lower_vfs_.MountRoot(lower_fs_, {});
    lctx_ = lower_vfs_.RootContext(*lroot);
    lctx_.umask = 0;
    ASSERT_OK(lower_vfs_.Mkdir(lctx_, P("/etc"), 0755));
    ASSERT_OK(PutFile(lower_vfs_, lctx_, "/etc/passwd", "root:x:0:0\n", 0644));
    ASSERT_OK(PutFile(lower_vfs_, lctx_, "/etc/hosts", "127.0.0.1\n", 0644));
    ASSERT_OK(lower_vfs_.Mkdir(lctx_, P("/etc/sub"), 0700));
    ASSERT_OK(PutFile(lower_vfs_, lctx_, "/etc/sub/deep", "deep", 0600));
    ASSERT_OK(lower_vfs_.Mkdir(lctx_, P("/empty"), 0755));
    ASSERT_OK(lower_vfs_.Symlink(lctx_, "etc/passwd", P("/link")));
    ASSERT_OK(lower_vfs_.Mkdir(lctx_, P("/bin"), 0755));
    ASSERT_OK(PutFile(lower_vfs_, lctx_, "/bin/sh", "ELF", 0755));

    tmpfs::RegisterTmpfs(vfs_);
    auto upper = std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{});
    upper_fs_ = upper;
    auto ov = std::make_shared<OverlayFs>(upper, lower_fs_);
    auto root = vfs_.MountRoot(ov, {}, "overlay");
    ASSERT_OK(root);
    ctx_ = vfs_.RootContext(*root);
    ctx_.umask = 0;
  }

  std::string Lower(absl::string_view path) {
    auto s = GetFile(lower_vfs_, lctx_, path);
    return s.ok() ? *s
                  : std::string("<") + std::string(ErrnoName(s.error())) + ">";
  }

  vfs::VirtualFilesystem lower_vfs_;
  vfs::Context lctx_;
  std::shared_ptr<tmpfs::Tmpfs> lower_fs_;
  std::shared_ptr<tmpfs::Tmpfs> upper_fs_;
  vfs::VirtualFilesystem vfs_;
  vfs::Context ctx_;
};

TEST_F(OverlayTest, ReadsLowerAndCopiesUpOnWrite) {
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/link"), "root:x:0:0\n");
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/"), true)->mode, S_IFDIR | 0755u);
  const uint64_t ino = vfs_.GetStat(ctx_, P("/etc/passwd"), true)->ino;
  // Opening read-only does not copy up.
  EXPECT_OK(vfs_.Open(ctx_, P("/etc/passwd"), O_RDONLY, 0));
  EXPECT_ERRNO(upper_fs_->Root()->Lookup("etc"), ENOENT);
  {
    auto f = vfs_.Open(ctx_, P("/etc/passwd"), O_WRONLY | O_APPEND, 0);
    ASSERT_OK(f);
    ASSERT_OK(vfs::testing::WriteString(**f, "user:x:1000:1000\n"));
  }
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/passwd"),
            "root:x:0:0\nuser:x:1000:1000\n");
  EXPECT_EQ(Lower("/etc/passwd"), "root:x:0:0\n");  // lower untouched
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/etc/passwd"), true)->ino, ino);  // stable
  // The parent was copied up with its attributes.
  auto etc = upper_fs_->Root()->Lookup("etc");
  ASSERT_OK(etc);
  EXPECT_EQ((*etc)->GetStat()->mode, S_IFDIR | 0755u);
  // chmod and truncate copy up too.
  ASSERT_OK(vfs_.Chmod(ctx_, P("/bin/sh"), 0700, true));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/bin/sh"), true)->mode, S_IFREG | 0700u);
  EXPECT_EQ(lower_vfs_.GetStat(lctx_, P("/bin/sh"), true)->mode,
            S_IFREG | 0755u);
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/bin/sh"), "ELF");
  ASSERT_OK(vfs_.Open(ctx_, P("/etc/hosts"), O_WRONLY | O_TRUNC, 0));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/hosts"), "");
  EXPECT_EQ(Lower("/etc/hosts"), "127.0.0.1\n");
  // Deep copy-up of a file under a 0700 directory keeps modes.
  ASSERT_OK(PutFile(vfs_, ctx_, "/etc/sub/deep", "changed"));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/etc/sub"), true)->mode, S_IFDIR | 0700u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/etc/sub/deep"), true)->mode,
            S_IFREG | 0600u);
  EXPECT_EQ(Lower("/etc/sub/deep"), "deep");
  auto sfs = vfs_.GetStatFs(ctx_, P("/"));
  EXPECT_EQ(sfs->type, kOverlayMagic);
}

TEST_F(OverlayTest, WhiteoutsAndMergedListing) {
  ASSERT_OK(PutFile(vfs_, ctx_, "/etc/new", "n"));
  ASSERT_OK(PutFile(vfs_, ctx_, "/etc/hosts", "copied up"));
  EXPECT_EQ(Sorted(*ListDir(vfs_, ctx_, "/etc")),
            (std::vector<std::string>{"hosts", "new", "passwd", "sub"}));
  ASSERT_OK(vfs_.Unlink(ctx_, P("/etc/passwd")));
  ASSERT_OK(vfs_.Unlink(ctx_, P("/etc/hosts")));
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/etc/passwd"), true), ENOENT);
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/etc/hosts"), O_RDONLY, 0), ENOENT);
  EXPECT_EQ(Sorted(*ListDir(vfs_, ctx_, "/etc")),
            (std::vector<std::string>{"new", "sub"}));
  EXPECT_EQ(Lower("/etc/passwd"), "root:x:0:0\n");
  // The whiteout is a 0:0 character device in the upper layer.
  auto etc = upper_fs_->Root()->Lookup("etc");
  ASSERT_OK(etc);
  auto wh = (*etc)->Lookup("passwd");
  ASSERT_OK(wh);
  EXPECT_TRUE(IsWhiteout(**wh));
  // Re-creating the name replaces the whiteout with a new file.
  ASSERT_OK(PutFile(vfs_, ctx_, "/etc/passwd", "fresh"));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/passwd"), "fresh");
  EXPECT_EQ(Sorted(*ListDir(vfs_, ctx_, "/etc")),
            (std::vector<std::string>{"new", "passwd", "sub"}));
  // The symlink through the dangling whiteout: /link -> etc/passwd (new).
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/link"), "fresh");
  // Exclusive create on a whited-out name works.
  ASSERT_OK(vfs_.Unlink(ctx_, P("/etc/passwd")));
  EXPECT_OK(
      vfs_.Open(ctx_, P("/etc/passwd"), O_WRONLY | O_CREAT | O_EXCL, 0600));
  // getdents never shows whiteouts or the opaque marker; no duplicates.
  auto all = *ListDir(vfs_, ctx_, "/");
  EXPECT_EQ(Sorted(all),
            (std::vector<std::string>{"bin", "empty", "etc", "link"}));
}

TEST_F(OverlayTest, RmdirAndOpaqueDirectories) {
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/etc/sub")), ENOTEMPTY);
  ASSERT_OK(vfs_.Unlink(ctx_, P("/etc/sub/deep")));
  EXPECT_EQ(ListDir(vfs_, ctx_, "/etc/sub")->size(), 0u);
  // Merged-empty (the upper holds only a whiteout): removable.
  ASSERT_OK(vfs_.Rmdir(ctx_, P("/etc/sub")));
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/etc/sub"), true), ENOENT);
  // A new directory with the name is opaque: the lower content stays hidden.
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/etc/sub"), 0755));
  EXPECT_EQ(ListDir(vfs_, ctx_, "/etc/sub")->size(), 0u);
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/etc/sub/deep"), true), ENOENT);
  ASSERT_OK(PutFile(vfs_, ctx_, "/etc/sub/x", "x"));
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/etc/sub"), (std::vector<std::string>{"x"}));
  EXPECT_ERRNO(vfs_.Open(ctx_, P("/etc/sub/.wh..wh..opq"), O_RDONLY, 0),
               ENOENT);
  // rmdir of an empty lower directory.
  ASSERT_OK(vfs_.Rmdir(ctx_, P("/empty")));
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/empty"), true), ENOENT);
  EXPECT_OK(lower_vfs_.GetStat(lctx_, P("/empty"), true));
  EXPECT_ERRNO(vfs_.Rmdir(ctx_, P("/bin")), ENOTEMPTY);
}

TEST_F(OverlayTest, RenameAndLinks) {
  ASSERT_OK(vfs_.Mkdir(ctx_, P("/new"), 0755));
  // A lower file moves: copied up, whiteout at the old name.
  ASSERT_OK(vfs_.Rename(ctx_, P("/etc/hosts"), P("/new/hosts"), 0));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/new/hosts"), "127.0.0.1\n");
  EXPECT_ERRNO(vfs_.GetStat(ctx_, P("/etc/hosts"), true), ENOENT);
  EXPECT_EQ(Lower("/etc/hosts"), "127.0.0.1\n");
  // Over an existing lower file.
  ASSERT_OK(vfs_.Rename(ctx_, P("/new/hosts"), P("/etc/passwd"), 0));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/etc/passwd"), "127.0.0.1\n");
  EXPECT_EQ(Sorted(*ListDir(vfs_, ctx_, "/etc")),
            (std::vector<std::string>{"passwd", "sub"}));
  // A directory with a lower part: EXDEV (no redirect_dir).
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/etc/sub"), P("/new/sub"), 0), EXDEV);
  // An upper-only directory moves; into a whited-out name it becomes opaque.
  ASSERT_OK(PutFile(vfs_, ctx_, "/new/f", "f"));
  ASSERT_OK(vfs_.Unlink(ctx_, P("/etc/sub/deep")));
  ASSERT_OK(vfs_.Rmdir(ctx_, P("/etc/sub")));
  ASSERT_OK(vfs_.Rename(ctx_, P("/new"), P("/etc/sub"), 0));
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/etc/sub"), (std::vector<std::string>{"f"}));
  EXPECT_ERRNO(vfs_.Rename(ctx_, P("/bin"), P("/etc/sub/x/y"), 0), ENOENT);
  // Hard link of a lower file: copied up, two names, one inode.
  ASSERT_OK(vfs_.Link(ctx_, P("/bin/sh"), P("/bin/bash"), false));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/bin/bash"), true)->nlink, 2u);
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/bin/bash"), true)->ino,
            vfs_.GetStat(ctx_, P("/bin/sh"), true)->ino);
  ASSERT_OK(PutFile(vfs_, ctx_, "/bin/bash", "NEW"));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/bin/sh"), "NEW");
  EXPECT_EQ(Lower("/bin/sh"), "ELF");
  ASSERT_OK(vfs_.Unlink(ctx_, P("/bin/sh")));
  EXPECT_EQ(vfs_.GetStat(ctx_, P("/bin/bash"), true)->nlink, 1u);
  EXPECT_EQ(*ListDir(vfs_, ctx_, "/bin"), (std::vector<std::string>{"bash"}));
  // Exchange of two lower files.
  ASSERT_OK(PutFile(lower_vfs_, lctx_, "/a", "A"));
  ASSERT_OK(PutFile(lower_vfs_, lctx_, "/b", "B"));
  ASSERT_OK(vfs_.Rename(ctx_, P("/a"), P("/b"), RENAME_EXCHANGE));
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/a"), "B");
  EXPECT_EQ(*GetFile(vfs_, ctx_, "/b"), "A");
  EXPECT_EQ(Lower("/a"), "A");
}

}  // namespace
}  // namespace sentry::fs::overlay
