#include "sentry/base/errno.h"

#include <memory>

#include "base/errors.h"
#include "gtest/gtest.h"

namespace sentry {
namespace {

ErrnoOr<int> Half(int x) {
  if (x % 2 != 0) return Errno{EINVAL};
  return x / 2;
}

ErrnoOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN_ERRNO(int h, Half(x));
  ASSIGN_OR_RETURN_ERRNO(int q, Half(h));
  return q;
}

ErrnoStatus CheckEven(int x) {
  RETURN_IF_ERRNO(Half(x));
  return OkErrno();
}

TEST(ErrnoTest, ValueAndErrorPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  ASSERT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).error(), Errno{EINVAL});
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).error(), Errno{EINVAL});
}

TEST(ErrnoTest, MoveOnlyValues) {
  ErrnoOr<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> v = std::move(p).value();
  EXPECT_EQ(*v, 7);
}

TEST(ErrnoTest, Names) {
  EXPECT_EQ(ErrnoName(Errno{ENOENT}), "ENOENT");
  EXPECT_EQ(ErrnoName(Errno{EAGAIN}), "EAGAIN");
}

TEST(ErrnoTest, StatusSeamRoundTrips) {
  EXPECT_EQ(StatusToErrno(ErrnoToStatus(Errno{ELOOP}, "walk")), Errno{ELOOP});
  EXPECT_EQ(StatusToErrno(absl::NotFoundError("x")), Errno{ENOENT});
  EXPECT_EQ(StatusToErrno(absl::InternalError("x")), Errno{EIO});
}

}  // namespace
}  // namespace sentry
