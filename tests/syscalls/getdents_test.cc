// getdents64: listing, d_type, small buffers, lseek rewinding, entries
// added or removed while iterating.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Reads every entry of `fd` from its current offset, using `bufsize`-byte
// calls; returns name -> d_type. Fails the test on a duplicate name.
std::map<std::string, int> ReadEntries(int fd, size_t bufsize = 4096) {
  std::map<std::string, int> out;
  std::string buf(bufsize, '\0');
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf.data(), buf.size());
    if (n < 0) {
      ADD_FAILURE() << "getdents64: " << strerror(errno);
      break;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<Dirent64*>(&buf[off]);
      EXPECT_GT(d->d_reclen, 0);
      EXPECT_EQ(d->d_reclen % 8, 0);
      EXPECT_NE(d->d_ino, 0u);
      EXPECT_TRUE(out.emplace(d->d_name, d->d_type).second)
          << "duplicate entry " << d->d_name;
      off += d->d_reclen;
    }
  }
  return out;
}

class GetdentsTest : public TempDirTest {};

TEST_F(GetdentsTest, ListsAllEntriesWithTypes) {
  constexpr int kFiles = 100;
  for (int i = 0; i < kFiles; ++i)
    WriteFile(Path("file" + std::to_string(i)), "");
  ASSERT_THAT(mkdir(Path("sub").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(symlink("file0", Path("link").c_str()), SyscallSucceeds());
  ASSERT_THAT(mkfifo(Path("fifo").c_str(), 0644), SyscallSucceeds());
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  auto entries = ReadEntries(d.get());
  EXPECT_EQ(entries.size(), size_t{kFiles + 5});  // + . .. sub link fifo
  EXPECT_EQ(entries["."], DT_DIR);
  EXPECT_EQ(entries[".."], DT_DIR);
  EXPECT_EQ(entries["sub"], DT_DIR);
  EXPECT_EQ(entries["link"], DT_LNK);
  EXPECT_EQ(entries["fifo"], DT_FIFO);
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(entries["file" + std::to_string(i)], DT_REG) << i;
  }
}

TEST_F(GetdentsTest, InodeNumbersMatchStat) {
  WriteFile(Path("a"), "");
  struct stat st;
  ASSERT_THAT(stat(Path("a").c_str(), &st), SyscallSucceeds());
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  char buf[4096];
  long n = syscall(SYS_getdents64, d.get(), buf, sizeof(buf));
  ASSERT_THAT(n, SyscallSucceeds());
  bool found = false;
  for (long off = 0; off < n;) {
    auto* e = reinterpret_cast<Dirent64*>(buf + off);
    if (std::string(e->d_name) == "a") {
      found = true;
      EXPECT_EQ(e->d_ino, st.st_ino);
    }
    off += e->d_reclen;
  }
  EXPECT_TRUE(found);
}

TEST_F(GetdentsTest, SmallBufferMakesProgress) {
  for (int i = 0; i < 20; ++i)
    WriteFile(Path("entry_" + std::to_string(i)), "");
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  // Room for about one entry at a time.
  auto entries = ReadEntries(d.get(), 40);
  EXPECT_EQ(entries.size(), 22u);
  // Too small for even one entry: EINVAL.
  ASSERT_THAT(lseek(d.get(), 0, SEEK_SET), SyscallSucceeds());
  char tiny[8];
  EXPECT_THAT(syscall(SYS_getdents64, d.get(), tiny, sizeof(tiny)),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(GetdentsTest, LseekRewinds) {
  for (int i = 0; i < 10; ++i) WriteFile(Path("f" + std::to_string(i)), "");
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  auto first = ReadEntries(d.get());
  EXPECT_TRUE(ReadEntries(d.get()).empty());  // At the end.
  ASSERT_THAT(lseek(d.get(), 0, SEEK_SET), SyscallSucceeds());
  EXPECT_EQ(ReadEntries(d.get()), first);
}

TEST_F(GetdentsTest, SeekToReturnedOffsetResumes) {
  for (int i = 0; i < 10; ++i) WriteFile(Path("f" + std::to_string(i)), "");
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  char buf[4096];
  long n = syscall(SYS_getdents64, d.get(), buf, sizeof(buf));
  ASSERT_GT(n, 0);
  // d_off of the third entry is the position just after it.
  std::set<std::string> after_third;
  int64_t third_off = 0;
  int idx = 0;
  for (long off = 0; off < n; ++idx) {
    auto* e = reinterpret_cast<Dirent64*>(buf + off);
    if (idx == 2) third_off = e->d_off;
    if (idx > 2) after_third.insert(e->d_name);
    off += e->d_reclen;
  }
  ASSERT_THAT(lseek(d.get(), third_off, SEEK_SET), SyscallSucceeds());
  auto rest = ReadEntries(d.get());
  std::set<std::string> rest_names;
  for (auto& [name, type] : rest) rest_names.insert(name);
  EXPECT_EQ(rest_names, after_third);
}

TEST_F(GetdentsTest, EntriesAddedDuringIterationNotDuplicated) {
  for (int i = 0; i < 50; ++i) WriteFile(Path("old" + std::to_string(i)), "");
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  std::map<std::string, int> seen;
  char buf[256];
  int round = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, d.get(), buf, sizeof(buf));
    ASSERT_THAT(n, SyscallSucceeds());
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<Dirent64*>(buf + off);
      EXPECT_TRUE(seen.emplace(e->d_name, 1).second)
          << "duplicate " << e->d_name;
      off += e->d_reclen;
    }
    WriteFile(Path("new" + std::to_string(round++)), "");
  }
  // Every entry that existed throughout was seen exactly once.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(seen.count("old" + std::to_string(i)), 1u) << i;
  }
}

TEST_F(GetdentsTest, RemovedEntryNotReturnedAfterRewind) {
  WriteFile(Path("a"), "");
  WriteFile(Path("b"), "");
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(unlink(Path("a").c_str()), SyscallSucceeds());
  auto entries = ReadEntries(d.get());
  EXPECT_EQ(entries.count("a"), 0u);
  EXPECT_EQ(entries.count("b"), 1u);
}

TEST_F(GetdentsTest, Errors) {
  WriteFile(Path("f"), "");
  Fd f(open(Path("f").c_str(), O_RDONLY));
  char buf[512];
  EXPECT_THAT(syscall(SYS_getdents64, f.get(), buf, sizeof(buf)),
              SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(syscall(SYS_getdents64, -1, buf, sizeof(buf)),
              SyscallFailsWithErrno(EBADF));
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_THAT(syscall(SYS_getdents64, d.get(), 8L, 512L),
              SyscallFailsWithErrno(EFAULT));
}

// Linux refuses to list a removed directory (IS_DEADDIR): ENOENT.
TEST_F(GetdentsTest, DeletedDirectoryIsEnoent) {
  ASSERT_THAT(mkdir(Path("gone").c_str(), 0755), SyscallSucceeds());
  Fd d(open(Path("gone").c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(rmdir(Path("gone").c_str()), SyscallSucceeds());
  char buf[512];
  EXPECT_THAT(syscall(SYS_getdents64, d.get(), buf, sizeof(buf)),
              SyscallFailsWithErrno(ENOENT));
}

TEST_F(GetdentsTest, ReaddirThroughLibc) {
  WriteFile(Path("x"), "");
  DIR* dir = opendir(dir_.c_str());
  ASSERT_NE(dir, nullptr);
  std::set<std::string> names;
  while (struct dirent* e = readdir(dir)) names.insert(e->d_name);
  closedir(dir);
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "x"}));
}

}  // namespace
}  // namespace syscall_test
