#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::container {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

Metadata Sample() {
  Metadata md;
  md.id = "abc123";
  md.bundle = "/bundles/abc";
  md.spec = {{"ociVersion", "1.0.2"},
             {"root", {{"path", "rootfs"}}},
             {"annotations", {{"from.spec", "x"}}}};
  md.status = Status::kRunning;
  md.created = absl::FromUnixNanos(1795000000123456789);
  md.owner = "";
  md.console_socket = "/tmp/pty.sock";
  md.sandbox_id = "abc123";
  md.sandbox_pid = 4242;
  md.sandbox_start_time = 777;
  md.gofer_pid = 4243;
  md.init_pid = 4244;
  md.init_start_time = 778;
  md.control_socket = "/run/runsc/abc123/control.sock";
  md.annotations = {{"io.kubernetes.pod", "p"}, {"k2", "v2"}};
  md.execs = {{100, 5}, {101, 0}};
  md.extra = {{"counter", 3}};
  return md;
}

TEST(MetadataJsonTest, RoundTrip) {
  const Metadata md = Sample();
  const json doc = MetadataToJson(md);
  EXPECT_EQ(doc["id"], "abc123");
  EXPECT_EQ(doc["status"], "running");
  EXPECT_EQ(doc["created"], "2026-11-18T11:06:40.123456789Z");
  EXPECT_EQ(doc["spec"], md.spec);

  // Through text, as the store does.
  absl::StatusOr<Metadata> back = MetadataFromJson(json::parse(doc.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, md.id);
  EXPECT_EQ(back->bundle, md.bundle);
  EXPECT_EQ(back->spec, md.spec);
  EXPECT_EQ(back->status, md.status);
  EXPECT_EQ(back->created, md.created);
  EXPECT_EQ(back->console_socket, md.console_socket);
  EXPECT_EQ(back->sandbox_id, md.sandbox_id);
  EXPECT_EQ(back->sandbox_pid, md.sandbox_pid);
  EXPECT_EQ(back->sandbox_start_time, md.sandbox_start_time);
  EXPECT_EQ(back->gofer_pid, md.gofer_pid);
  EXPECT_EQ(back->init_pid, md.init_pid);
  EXPECT_EQ(back->init_start_time, md.init_start_time);
  EXPECT_EQ(back->control_socket, md.control_socket);
  EXPECT_EQ(back->annotations, md.annotations);
  ASSERT_EQ(back->execs.size(), 2u);
  EXPECT_EQ(back->execs[0].pid, 100);
  EXPECT_EQ(back->execs[0].start_time, 5u);
  EXPECT_EQ(back->execs[1].pid, 101);
  EXPECT_EQ(back->extra, md.extra);
}

TEST(MetadataJsonTest, RejectsMalformed) {
  json doc = MetadataToJson(Sample());
  {
    json d = doc;
    d.erase("id");
    EXPECT_EQ(MetadataFromJson(d).status().message(),
              "meta.json: id must be a string");
  }
  {
    json d = doc;
    d["status"] = "sleeping";
    EXPECT_EQ(MetadataFromJson(d).status().message(),
              "unknown container status \"sleeping\"");
  }
  {
    json d = doc;
    d["sandbox_pid"] = "12";
    EXPECT_EQ(MetadataFromJson(d).status().message(),
              "meta.json: sandbox_pid must be an integer");
  }
  {
    json d = doc;
    d["created"] = "yesterday";
    EXPECT_EQ(MetadataFromJson(d).status().message(),
              "meta.json: created must be an RFC 3339 time");
  }
  {
    json d = doc;
    d["version"] = 99;
    EXPECT_EQ(MetadataFromJson(d).status().message(),
              "meta.json: unsupported version 99");
  }
  EXPECT_FALSE(MetadataFromJson(json::array()).ok());
}

TEST(TimeTest, Rfc3339Nano) {
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(0)),
            "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixMillis(1500)),
            "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixNanos(1)),
            "1970-01-01T00:00:00.000000001Z");
  absl::StatusOr<absl::Time> t = ParseRfc3339("1970-01-01T00:00:01.5Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, absl::FromUnixMillis(1500));
  t = ParseRfc3339("1970-01-01T02:00:00+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, absl::FromUnixSeconds(0));
  EXPECT_FALSE(ParseRfc3339("not a time").ok());
  const absl::Time now = absl::Now();
  t = ParseRfc3339(FormatRfc3339Nano(now));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, now);
}

TEST(OciStateTest, Fields) {
  const json state = OciState(Sample());
  EXPECT_EQ(state["ociVersion"], specutils::kOciVersion);
  EXPECT_EQ(state["id"], "abc123");
  EXPECT_EQ(state["status"], "running");
  EXPECT_EQ(state["pid"], 4244);
  EXPECT_EQ(state["bundle"], "/bundles/abc");
  EXPECT_EQ(state["rootfs"], "/bundles/abc/rootfs");
  EXPECT_EQ(state["created"], "2026-11-18T11:06:40.123456789Z");
  EXPECT_EQ(state["owner"], "");
  EXPECT_EQ(state["annotations"],
            json({{"io.kubernetes.pod", "p"}, {"k2", "v2"}}));
  EXPECT_EQ(state.size(), 9u);
}

TEST(OciStateTest, StoppedHasNoPid) {
  Metadata md = Sample();
  md.status = Status::kStopped;
  const json state = OciState(md);
  EXPECT_EQ(state["status"], "stopped");
  EXPECT_EQ(state["pid"], 0);
}

TEST(OciStateTest, AnnotationsFallBackToSpecThenOmitted) {
  Metadata md = Sample();
  md.annotations.clear();
  EXPECT_EQ(OciState(md)["annotations"], json({{"from.spec", "x"}}));
  md.spec.erase("annotations");
  EXPECT_FALSE(OciState(md).contains("annotations"));
}

TEST(OciStateTest, AbsoluteRootfs) {
  Metadata md = Sample();
  md.spec["root"]["path"] = "/var/lib/containers/overlay/merged";
  EXPECT_EQ(OciState(md)["rootfs"], "/var/lib/containers/overlay/merged");
}

TEST(ValidateIdTest, Accepts) {
  for (const char* id : {"a", "abc123", "A-b_c.d+e", "..a", "a..", ".a",
                         "0123456789abcdef0123456789abcdef0123456789abcdef0"
                         "123456789abcdef"}) {
    EXPECT_TRUE(ValidateId(id).ok()) << id;
  }
  EXPECT_TRUE(ValidateId(std::string(kMaxIdLength, 'x')).ok());
}

TEST(ValidateIdTest, Rejects) {
  EXPECT_EQ(ValidateId("").message(), "container ID must not be empty");
  EXPECT_EQ(ValidateId(".").message(), "invalid container ID \".\"");
  EXPECT_EQ(ValidateId("..").message(), "invalid container ID \"..\"");
  for (const char* id :
       {"a/b", "../etc", "a b", "a\nb", "é", "a:b", "a*", "/abs", "a\\b"}) {
    absl::Status s = ValidateId(id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(s.message(),
              absl::StrCat("invalid container ID \"", id,
                           "\": IDs may contain only letters, digits, '_', "
                           "'+', '.' and '-'"));
  }
  absl::Status s = ValidateId(std::string(kMaxIdLength + 1, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("longer than 250 characters"));
}

TEST(DefaultRootTest, DependsOnUser) {
  const std::string root = DefaultRoot();
  if (geteuid() == 0) {
    EXPECT_EQ(root, "/run/runsc");
  } else {
    EXPECT_THAT(root, ::testing::EndsWith("runsc") /* or runsc-<uid> */);
  }
}

TEST(LivenessTest, SelfIsAlive) {
  absl::StatusOr<uint64_t> start = ProcessStartTime(getpid());
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_GT(*start, 0u);
  EXPECT_TRUE(ProcessAlive(getpid(), 0));
  EXPECT_TRUE(ProcessAlive(getpid(), *start));
  // Same pid, different start time: the pid was reused by someone else.
  EXPECT_FALSE(ProcessAlive(getpid(), *start + 1));
  EXPECT_FALSE(ProcessAlive(0, 0));
  EXPECT_FALSE(ProcessAlive(-1, 0));
}

TEST(LivenessTest, ReapedChildIsDead) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(ProcessAlive(pid, 0));
  EXPECT_FALSE(ProcessStartTime(pid).ok());
}

TEST(LivenessTest, ZombieIsDead) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    _exit(0);
  }
  close(pipefd[1]);
  // EOF on the pipe: the child has closed it, i.e. it is exiting. Wait for
  // it to become a zombie without reaping it (WNOWAIT).
  char c;
  EXPECT_EQ(read(pipefd[0], &c, 1), 0);
  close(pipefd[0]);
  siginfo_t info;
  ASSERT_EQ(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(kill(pid, 0), 0);          // Still has a pid...
  EXPECT_FALSE(ProcessAlive(pid, 0));  // ...but is not alive.
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
}

TEST(LivenessTest, EffectiveStatus) {
  Metadata md = Sample();
  md.sandbox_pid = getpid();
  md.sandbox_start_time = *ProcessStartTime(getpid());
  EXPECT_EQ(EffectiveStatus(md), Status::kRunning);
  EXPECT_EQ(RefreshStatus(md).status, Status::kRunning);

  md.sandbox_start_time += 1;  // Reused pid.
  EXPECT_EQ(EffectiveStatus(md), Status::kStopped);
  EXPECT_EQ(RefreshStatus(md).status, Status::kStopped);
  EXPECT_EQ(OciState(RefreshStatus(md))["pid"], 0);

  // No sandbox yet: the init pid decides.
  md.sandbox_pid = 0;
  md.init_pid = getpid();
  md.init_start_time = 0;
  EXPECT_EQ(EffectiveStatus(md), Status::kRunning);

  // Nothing to check: keep what the metadata says.
  md.init_pid = 0;
  md.status = Status::kCreating;
  EXPECT_EQ(EffectiveStatus(md), Status::kCreating);

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  md.status = Status::kPaused;
  md.sandbox_pid = pid;
  md.sandbox_start_time = 0;
  EXPECT_EQ(EffectiveStatus(md), Status::kStopped);
}

TEST(LivenessTest, CreatingWithoutItsCreatorIsStopped) {
  Metadata md = Sample();
  md.status = Status::kCreating;
  md.sandbox_pid = 0;  // nothing launched yet
  md.init_pid = 0;
  EXPECT_TRUE(CreatorAlive(md));  // nothing recorded
  RecordCreator(md);
  EXPECT_TRUE(CreatorAlive(md));
  EXPECT_EQ(EffectiveStatus(md), Status::kCreating);
  // Through JSON, as `state` reads it.
  absl::StatusOr<Metadata> back =
      MetadataFromJson(nlohmann::json::parse(MetadataToJson(md).dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(EffectiveStatus(*back), Status::kCreating);

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(0);
  uint64_t start = ProcessStartTime(pid).value_or(0);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  // A creator that has exited (its start time recorded while it lived).
  md.extra["creator_pid"] = pid;
  md.extra["creator_start_time"] = start;
  EXPECT_FALSE(CreatorAlive(md));
  EXPECT_EQ(EffectiveStatus(md), Status::kStopped);
  // Only a container being created is affected.
  md.status = Status::kCreated;
  EXPECT_EQ(EffectiveStatus(md), Status::kCreated);
}

// A container in another container's sandbox (docs/multi-container.md):
// its waiter (init_pid) going away means its init has exited.
TEST(LivenessTest, SubcontainerFollowsItsWaiter) {
  Metadata md = Sample();
  md.status = Status::kRunning;
  md.sandbox_id = "pod";
  md.sandbox_pid = getpid();
  md.sandbox_start_time = *ProcessStartTime(getpid());
  md.init_pid = getpid();
  md.init_start_time = md.sandbox_start_time;
  ASSERT_NE(md.id, "pod");
  EXPECT_EQ(EffectiveStatus(md), Status::kRunning);
  md.init_start_time += 1;  // the waiter is gone (its pid reused)
  EXPECT_EQ(EffectiveStatus(md), Status::kStopped);
  // The sandbox's own container ignores init_pid here.
  md.sandbox_id = md.id;
  EXPECT_EQ(EffectiveStatus(md), Status::kRunning);
}

}  // namespace
}  // namespace runsc::container
