#include "runsc/cli/version.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace runsc::cli {
namespace {

TEST(VersionTest, ExactlyThreeLines) {
  std::string text = VersionText();
  ASSERT_TRUE(absl::EndsWith(text, "\n"));
  std::vector<std::string> lines =
      absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  ASSERT_EQ(lines.size(), 3u) << text;
  EXPECT_EQ(lines[0], "runsc version 0.1.0");
  EXPECT_TRUE(absl::StartsWith(lines[1], "commit: ")) << lines[1];
  EXPECT_EQ(lines[2], "spec: 1.1.0");
  std::string commit = lines[1].substr(8);
  EXPECT_EQ(commit, GitCommit());
  if (commit != "unknown") {
    EXPECT_EQ(commit.size(), 40u);
    for (char c : commit) EXPECT_TRUE(absl::ascii_isxdigit(c)) << commit;
  }
}

}  // namespace
}  // namespace runsc::cli
