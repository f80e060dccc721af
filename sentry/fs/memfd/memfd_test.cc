#include "sentry/fs/memfd/memfd.h"

#include <fcntl.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "sentry/mm/usermem.h"
#include "sentry/vfs/io.h"

namespace sentry::fs::memfd {
namespace {

class MemfdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create("memfd_test", uint64_t{64} << 20);
    ASSERT_TRUE(mf.ok()) << mf.status();
    mf_ = std::move(*mf);
  }
  std::unique_ptr<mm::MemoryFile> mf_;
};

std::string ReadAll(vfs::FileDescription& f, int64_t off, size_t n) {
  std::string s(n, '\0');
  vfs::SpanDst dst(s.data(), n);
  auto r = f.PRead(dst, off);
  if (!r.ok()) return "<err>";
  s.resize(*r);
  return s;
}

TEST_F(MemfdTest, WriteReadTruncateAndPagesShared) {
  auto f = NewMemfd(nullptr, mf_.get(), "t", true, 0, 0);
  ASSERT_TRUE(f.ok());
  vfs::SpanSrc src("hello", 5);
  ASSERT_EQ(*(*f)->PWrite(src, 4094), 5u);
  EXPECT_EQ((*f)->GetStat()->size, 4099);
  EXPECT_EQ(ReadAll(**f, 4094, 10), "hello");
  EXPECT_EQ(ReadAll(**f, 0, 2), std::string(2, '\0'));
  // A mapping sees the same bytes.
  MemfdData* d = MemfdOf(**f);
  ASSERT_NE(d, nullptr);
  auto frame = d->GetPage(1, true);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(std::memcmp(mf_->Data(*frame), "llo", 3), 0);
  mf_->Data(*frame)[0] = 'L';
  mf_->DecRef(*frame);
  EXPECT_EQ(ReadAll(**f, 4094, 5), "heLlo");
  EXPECT_FALSE(d->GetPage(2, false).ok());  // past the end: SIGBUS
  ASSERT_TRUE((*f)->Truncate(4095).ok());
  ASSERT_TRUE((*f)->Truncate(5000).ok());
  EXPECT_EQ(ReadAll(**f, 4094, 5), std::string("h\0\0\0\0", 5));
}

TEST_F(MemfdTest, Seals) {
  auto f = NewMemfd(nullptr, mf_.get(), "s", true, 0, 0);
  ASSERT_TRUE(f.ok());
  MemfdData* d = MemfdOf(**f);
  vfs::SpanSrc abc("abc", 3);
  ASSERT_TRUE((*f)->PWrite(abc, 0).ok());
  ASSERT_TRUE(d->AddSeals(F_SEAL_GROW | F_SEAL_SHRINK).ok());
  EXPECT_EQ((*f)->Truncate(1).error(), Errno{EPERM});
  EXPECT_EQ((*f)->Truncate(10).error(), Errno{EPERM});
  vfs::SpanSrc abcd("abcd", 4);
  EXPECT_EQ((*f)->PWrite(abcd, 0).error(), Errno{EPERM});
  EXPECT_TRUE(d->WritableMappingAllowed());
  ASSERT_TRUE(d->AddSeals(F_SEAL_WRITE).ok());
  EXPECT_FALSE(d->WritableMappingAllowed());
  EXPECT_EQ((*f)->PWrite(abc, 0).error(), Errno{EPERM});
  ASSERT_TRUE(d->AddSeals(F_SEAL_SEAL).ok());
  EXPECT_EQ(d->AddSeals(F_SEAL_GROW).error(), Errno{EPERM});
  EXPECT_EQ(d->AddSeals(0x4000).error(), Errno{EINVAL});
  auto plain = NewMemfd(nullptr, mf_.get(), "p", false, 0, 0);
  EXPECT_EQ(MemfdOf(**plain)->seals(), uint32_t{F_SEAL_SEAL});
}

}  // namespace
}  // namespace sentry::fs::memfd
