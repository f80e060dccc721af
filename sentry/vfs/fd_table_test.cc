#include "sentry/vfs/fd_table.h"

#include <fcntl.h>

#include "gtest/gtest.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/vfs/test_util.h"

namespace sentry::vfs {
namespace {

FileRef NewFile() {
  auto p = fs::pipe::NewPipe(nullptr, 0, 0, 0);
  return p->first;
}

TEST(FdTableTest, LowestFreeDupAndClose) {
  FdTable t;
  FileRef a = NewFile(), b = NewFile();
  EXPECT_EQ(*t.Add(a, false), 0);
  EXPECT_EQ(*t.Add(b, false), 1);
  EXPECT_EQ(*t.Add(a, true), 2);
  ASSERT_OK(t.Remove(1));
  EXPECT_EQ(*t.Add(b, false), 1);       // lowest free is reused
  EXPECT_EQ(*t.Add(b, false, 10), 10);  // F_DUPFD minimum
  EXPECT_EQ(*t.Add(b, false, 5), 5);
  EXPECT_ERRNO(t.Remove(7), EBADF);
  EXPECT_ERRNO(t.Remove(-1), EBADF);
  EXPECT_ERRNO(t.Get(3), EBADF);
  EXPECT_EQ(t.Count(), 5);
  EXPECT_EQ(t.Fds(), (std::vector<int>{0, 1, 2, 5, 10}));
}

TEST(FdTableTest, Dup2OverOpenDescriptor) {
  FdTable t;
  FileRef a = NewFile(), b = NewFile();
  ASSERT_EQ(*t.Add(a, false), 0);
  ASSERT_EQ(*t.Add(b, true), 1);
  EXPECT_EQ(b.use_count(), 2);
  EXPECT_EQ(*t.Dup2(0, 1), 1);  // replaces b, clears cloexec
  EXPECT_EQ(*t.Get(1), a);
  EXPECT_FALSE(*t.GetCloexec(1));
  EXPECT_EQ(b.use_count(), 1);  // the replaced description was released
  EXPECT_EQ(*t.Dup2(0, 0), 0);
  EXPECT_ERRNO(t.Dup2(7, 7), EBADF);
  EXPECT_ERRNO(t.Dup3(0, 0, false), EINVAL);
  EXPECT_ERRNO(t.Dup3(9, 3, false), EBADF);
  EXPECT_EQ(*t.Dup3(0, 30, true), 30);
  EXPECT_TRUE(*t.GetCloexec(30));
  EXPECT_ERRNO(t.Dup2(0, 1 << 20), EBADF);  // beyond RLIMIT_NOFILE
}

TEST(FdTableTest, CloexecAndForkClone) {
  FdTable t;
  FileRef a = NewFile(), b = NewFile();
  ASSERT_OK(t.Add(a, false));
  ASSERT_OK(t.Add(b, true));
  ASSERT_OK(t.Add(b, false));
  std::unique_ptr<FdTable> child = t.Clone();
  EXPECT_EQ(*child->Get(0), a);  // shared descriptions
  EXPECT_TRUE(*child->GetCloexec(1));
  // The tables are independent afterwards.
  ASSERT_OK(child->Remove(0));
  EXPECT_EQ(*t.Get(0), a);
  EXPECT_EQ(*t.Add(a, false), 3);
  EXPECT_EQ(*child->Add(a, false), 0);
  // exec closes only close-on-exec descriptors.
  auto closed = t.CloseOnExec();
  EXPECT_EQ(closed.size(), 1u);
  EXPECT_ERRNO(t.Get(1), EBADF);
  EXPECT_OK(t.Get(2));
  ASSERT_OK(t.SetCloexec(2, true));
  EXPECT_TRUE(*t.GetCloexec(2));
  EXPECT_ERRNO(t.SetCloexec(1, true), EBADF);
}

TEST(FdTableTest, LimitAndCloseRange) {
  FdTable t(4);
  FileRef a = NewFile();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(*t.Add(a, false), i);
  EXPECT_ERRNO(t.Add(a, false), EMFILE);
  EXPECT_ERRNO(t.Add(a, false, 4), EINVAL);
  auto marked = t.CloseRange(1, 2, /*cloexec_only=*/true);
  EXPECT_TRUE(marked.empty());
  EXPECT_TRUE(*t.GetCloexec(2));
  auto closed = t.CloseRange(2, ~0u, false);
  EXPECT_EQ(closed.size(), 2u);
  EXPECT_EQ(t.Count(), 2);
  t.SetLimit(2);
  EXPECT_ERRNO(t.Add(a, false), EMFILE);
  t.SetLimit(100);
  EXPECT_EQ(*t.Add(a, false), 2);
}

}  // namespace
}  // namespace sentry::vfs
