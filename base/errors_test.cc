#include "base/errors.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace base {
namespace {

TEST(ErrnoStatusTest, CarriesCodeMessageAndErrno) {
  absl::Status s = ErrnoStatus(ENOENT, "open /x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
  EXPECT_EQ(ErrnoFromStatus(s), ENOENT);
}

TEST(ErrnoStatusTest, PlainStatusHasNoErrno) {
  EXPECT_EQ(ErrnoFromStatus(absl::InvalidArgumentError("x")), 0);
  EXPECT_EQ(ErrnoFromStatus(absl::OkStatus()), 0);
}

}  // namespace
}  // namespace base
