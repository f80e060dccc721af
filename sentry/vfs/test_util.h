// Helpers for VFS and file system tests (test-only).
#ifndef SENTRY_VFS_TEST_UTIL_H_
#define SENTRY_VFS_TEST_UTIL_H_

#include <string>

#include "gtest/gtest.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

namespace sentry::vfs::testing {

// Asserts that an ErrnoOr/ErrnoStatus failed with `e`.
#define EXPECT_ERRNO(expr, e)                                        \
  do {                                                               \
    auto res_ = (expr);                                              \
    ASSERT_FALSE(res_.ok()) << #expr << " succeeded, wanted " << #e; \
    EXPECT_EQ(ToInt(res_.error()), (e))                              \
        << #expr << ": " << ErrnoName(res_.error());                 \
  } while (0)

#define EXPECT_OK(expr)                                                 \
  do {                                                                  \
    auto res_ = (expr);                                                 \
    EXPECT_TRUE(res_.ok()) << #expr << ": " << ErrnoName(res_.error()); \
  } while (0)

#define ASSERT_OK(expr)                                                 \
  do {                                                                  \
    auto res_ = (expr);                                                 \
    ASSERT_TRUE(res_.ok()) << #expr << ": " << ErrnoName(res_.error()); \
  } while (0)

inline PathAt P(absl::string_view path) { return PathAt{{}, path}; }

inline ErrnoOr<size_t> WriteString(FileDescription& f, absl::string_view s) {
  SpanSrc src(s.data(), s.size());
  return f.Write(src);
}

inline std::string ReadAll(FileDescription& f) {
  std::string out;
  char buf[4096];
  for (;;) {
    SpanDst dst(buf, sizeof(buf));
    auto n = f.Read(dst);
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

// Creates `path` with `content` (O_CREAT|O_TRUNC, mode 0644).
inline ErrnoStatus PutFile(VirtualFilesystem& vfs, const Context& ctx,
                           absl::string_view path, absl::string_view content,
                           uint32_t mode = 0644) {
  ASSIGN_OR_RETURN_ERRNO(
      FileRef f,
      vfs.Open(ctx, PathAt{{}, path}, O_WRONLY | O_CREAT | O_TRUNC, mode));
  ASSIGN_OR_RETURN_ERRNO(size_t n, WriteString(*f, content));
  if (n != content.size()) return Errno{EIO};
  return OkErrno();
}

inline ErrnoOr<std::string> GetFile(VirtualFilesystem& vfs, const Context& ctx,
                                    absl::string_view path) {
  ASSIGN_OR_RETURN_ERRNO(FileRef f,
                         vfs.Open(ctx, PathAt{{}, path}, O_RDONLY, 0));
  return ReadAll(*f);
}

// All names in a directory (without "." and ".."), via getdents.
inline ErrnoOr<std::vector<std::string>> ListDir(VirtualFilesystem& vfs,
                                                 const Context& ctx,
                                                 absl::string_view path) {
  ASSIGN_OR_RETURN_ERRNO(
      FileRef f, vfs.Open(ctx, PathAt{{}, path}, O_RDONLY | O_DIRECTORY, 0));
  std::vector<std::string> names;
  RETURN_IF_ERRNO(f->IterateDir([&](const DirEntry& e) {
    if (e.name != "." && e.name != "..") names.push_back(e.name);
    return true;
  }));
  return names;
}

}  // namespace sentry::vfs::testing

#endif  // SENTRY_VFS_TEST_UTIL_H_
