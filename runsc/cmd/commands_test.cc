#include "runsc/cmd/commands.h"

#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/cli/parser.h"

namespace runsc::cmd {
namespace {

using ::testing::HasSubstr;

TEST(CommandTableTest, EveryParsedCommandHasExactlyOneHandler) {
  std::set<std::string> names;
  for (const CommandEntry& e : CommandTable()) {
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate " << e.name;
    EXPECT_NE(e.handler, nullptr) << e.name;
  }
  for (const cli::CommandInfo& c : cli::Commands()) {
    EXPECT_NE(FindCommand(c.name), nullptr) << c.name;
  }
  EXPECT_NE(FindCommand("version"), nullptr);
  EXPECT_EQ(FindCommand("nonsense"), nullptr);
  // Nothing in the table that the parser cannot produce.
  EXPECT_EQ(names.size(), cli::Commands().size() + 1);  // + "version"
}

TEST(CommandTableTest, ContainerIdOfFollowsTheCommand) {
  auto inv = cli::ParseCommandLine({"kill", "abc", "9"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(ContainerIdOf(*inv), "abc");
  inv = cli::ParseCommandLine({"run", "--bundle", "/b", "r1"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(ContainerIdOf(*inv), "r1");
  inv = cli::ParseCommandLine({"list"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(ContainerIdOf(*inv), "");
}

TEST(CommandTableTest, HandlersWriteOnlyToTheirContext) {
  auto inv = cli::ParseCommandLine({"--version"});
  ASSERT_TRUE(inv.ok());
  std::ostringstream out;
  std::istringstream in;
  Context ctx{*inv, out, in};
  absl::StatusOr<int> rc = FindCommand("version")->handler(ctx);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(*rc, 0);
  EXPECT_THAT(out.str(), HasSubstr("runsc version "));

  inv = cli::ParseCommandLine({"help", "bogus"});
  ASSERT_TRUE(inv.ok());
  Context ctx2{*inv, out, in};
  rc = Help(ctx2);
  EXPECT_FALSE(rc.ok());
  EXPECT_THAT(std::string(rc.status().message()), HasSubstr("bogus"));
}

}  // namespace
}  // namespace runsc::cmd
