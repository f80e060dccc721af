#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runsc/container/store.h"

namespace runsc::container {
namespace {

constexpr Status kAll[] = {Status::kCreating, Status::kCreated,
                           Status::kRunning, Status::kPaused, Status::kStopped};

TEST(StatusTest, NamesRoundTrip) {
  EXPECT_EQ(StatusName(Status::kCreating), "creating");
  EXPECT_EQ(StatusName(Status::kCreated), "created");
  EXPECT_EQ(StatusName(Status::kRunning), "running");
  EXPECT_EQ(StatusName(Status::kPaused), "paused");
  EXPECT_EQ(StatusName(Status::kStopped), "stopped");
  for (Status s : kAll) {
    absl::StatusOr<Status> parsed = ParseStatus(StatusName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  absl::StatusOr<Status> bad = ParseStatus("Running");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown container status \"Running\"");
}

// The whole 5x5 table: every allowed move and every forbidden one with its
// message.
TEST(CheckTransitionTest, FullTable) {
  const std::set<std::pair<Status, Status>> allowed = {
      {Status::kCreating, Status::kCreated},
      {Status::kCreated, Status::kRunning},
      {Status::kRunning, Status::kPaused},
      {Status::kPaused, Status::kRunning},
      {Status::kCreating, Status::kStopped},
      {Status::kCreated, Status::kStopped},
      {Status::kRunning, Status::kStopped},
      {Status::kPaused, Status::kStopped},
      {Status::kStopped, Status::kStopped},
  };
  int checked = 0;
  for (Status from : kAll) {
    for (Status to : kAll) {
      ++checked;
      absl::Status s = CheckTransition(from, to);
      const std::string what =
          absl::StrCat(StatusName(from), " -> ", StatusName(to));
      if (allowed.count({from, to}) > 0) {
        EXPECT_TRUE(s.ok()) << what << ": " << s;
        continue;
      }
      ASSERT_FALSE(s.ok()) << what;
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << what;
      std::string want;
      switch (to) {
        case Status::kCreating:
          want = absl::StrCat("cannot move a container in state \"",
                              StatusName(from), "\" back to \"creating\"");
          break;
        case Status::kCreated:
          want = absl::StrCat("cannot create a container in state \"",
                              StatusName(from), "\"");
          break;
        case Status::kRunning:
          want = absl::StrCat("cannot start a container in state \"",
                              StatusName(from), "\"");
          break;
        case Status::kPaused:
          want = absl::StrCat("cannot pause a container in state \"",
                              StatusName(from), "\"");
          break;
        case Status::kStopped:
          ADD_FAILURE() << "stopped is always reachable";
      }
      EXPECT_EQ(s.message(), want) << what;
    }
  }
  EXPECT_EQ(checked, 25);
}

TEST(CheckTransitionTest, ExampleMessages) {
  EXPECT_EQ(CheckTransition(Status::kRunning, Status::kRunning).message(),
            "cannot start a container in state \"running\"");
  EXPECT_EQ(CheckTransition(Status::kStopped, Status::kRunning).message(),
            "cannot start a container in state \"stopped\"");
  EXPECT_EQ(CheckTransition(Status::kCreated, Status::kPaused).message(),
            "cannot pause a container in state \"created\"");
}

struct OpCase {
  Operation op;
  const char* verb;
  std::set<Status> allowed;
};

TEST(CheckOperationTest, FullTable) {
  const OpCase cases[] = {
      {Operation::kStart, "start", {Status::kCreated}},
      {Operation::kPause, "pause", {Status::kRunning}},
      {Operation::kResume, "resume", {Status::kPaused}},
      {Operation::kExec, "exec in", {Status::kCreated, Status::kRunning}},
      {Operation::kKill,
       "kill",
       {Status::kCreated, Status::kRunning, Status::kPaused}},
      {Operation::kDelete, "delete", {Status::kCreated, Status::kStopped}},
      {Operation::kCheckpoint, "checkpoint", {Status::kRunning}},
  };
  for (const OpCase& c : cases) {
    for (Status s : kAll) {
      absl::Status st = CheckOperation(s, c.op);
      if (c.allowed.count(s) > 0) {
        EXPECT_TRUE(st.ok()) << c.verb << " in " << StatusName(s);
      } else {
        EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(st.message(),
                  absl::StrCat("cannot ", c.verb, " a container in state \"",
                               StatusName(s), "\""));
      }
    }
  }
}

}  // namespace
}  // namespace runsc::container
