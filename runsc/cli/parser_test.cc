#include "runsc/cli/parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Invocation MustParse(const std::vector<std::string>& args) {
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  EXPECT_TRUE(inv.ok()) << inv.status();
  return inv.ok() ? *std::move(inv) : Invocation{};
}

std::string ParseError(const std::vector<std::string>& args) {
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  EXPECT_FALSE(inv.ok()) << "parsed as command " << inv->command;
  if (inv.ok()) return "";
  EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(inv.status().message());
}

TEST(ParserTest, DockerCreate) {
  Invocation inv = MustParse(
      {"--root", "/run/docker/runtime-runc/moby", "--log", "/b/log.json",
       "--log-format", "json", "create", "--bundle", "/b", "--pid-file",
       "/b/init.pid", "--console-socket", "/tmp/pty1/pty.sock", "abc"});
  EXPECT_EQ(inv.command, "create");
  EXPECT_EQ(inv.global.root, "/run/docker/runtime-runc/moby");
  EXPECT_EQ(inv.global.log, "/b/log.json");
  EXPECT_EQ(inv.global.log_format, "json");
  EXPECT_EQ(inv.create.bundle, "/b");
  EXPECT_EQ(inv.create.pid_file, "/b/init.pid");
  EXPECT_EQ(inv.create.console_socket, "/tmp/pty1/pty.sock");
  EXPECT_EQ(inv.create.id, "abc");
}

TEST(ParserTest, DefaultsWhenNothingGiven) {
  Invocation inv = MustParse({"create", "abc"});
  EXPECT_EQ(inv.global.root, "");
  EXPECT_EQ(inv.global.log_format, "text");
  EXPECT_EQ(inv.global.platform, "ptrace");
  EXPECT_EQ(inv.global.network, "sandbox");
  EXPECT_FALSE(inv.global.debug);
  EXPECT_EQ(inv.create.bundle, "");
  EXPECT_EQ(inv.create.preserve_fds, 0);
}

TEST(ParserTest, EqualsFormAndRuncOnlyFlags) {
  Invocation inv = MustParse(
      {"--root=/r", "--log-format=json", "--systemd-cgroup", "--criu",
       "/usr/sbin/criu", "--log-level", "debug", "--platform=systrap",
       "--network", "none", "--strace", "--overlay", "create", "-b", "/b",
       "--no-pivot", "--no-new-keyring", "--preserve-fds=2", "id1"});
  EXPECT_EQ(inv.global.root, "/r");
  EXPECT_EQ(inv.global.log_format, "json");
  EXPECT_TRUE(inv.global.systemd_cgroup);
  EXPECT_EQ(inv.global.criu, "/usr/sbin/criu");
  EXPECT_EQ(inv.global.log_level, "debug");
  EXPECT_EQ(inv.global.platform, "systrap");
  EXPECT_EQ(inv.global.network, "none");
  EXPECT_TRUE(inv.global.strace);
  EXPECT_TRUE(inv.global.overlay);
  EXPECT_EQ(inv.create.bundle, "/b");
  EXPECT_TRUE(inv.create.no_pivot);
  EXPECT_TRUE(inv.create.no_new_keyring);
  EXPECT_EQ(inv.create.preserve_fds, 2);
}

TEST(ParserTest, OverlayNoneWritesThrough) {
  Invocation inv = MustParse({"--overlay=none", "run", "id1"});
  EXPECT_FALSE(inv.global.overlay);
  EXPECT_EQ(inv.global.overlay_mode, "none");
  inv = MustParse({"--overlay", "run", "id1"});
  EXPECT_TRUE(inv.global.overlay);
  EXPECT_EQ(inv.global.overlay_mode, "root");
}

TEST(ParserTest, GoStyleSingleDashLongFlags) {
  Invocation inv = MustParse({"-root", "/x", "-log-format=json", "-debug",
                              "-debug-log", "/tmp/d/", "run", "-bundle", "/b",
                              "-no-subreaper", "-d", "-pid-file=/p", "id2"});
  EXPECT_EQ(inv.command, "run");
  EXPECT_EQ(inv.global.root, "/x");
  EXPECT_EQ(inv.global.log_format, "json");
  EXPECT_TRUE(inv.global.debug);
  EXPECT_EQ(inv.global.debug_log, "/tmp/d/");
  EXPECT_EQ(inv.run.create.bundle, "/b");
  EXPECT_EQ(inv.run.create.pid_file, "/p");
  EXPECT_TRUE(inv.run.no_subreaper);
  EXPECT_TRUE(inv.run.detach);
  EXPECT_EQ(inv.run.create.id, "id2");
}

TEST(ParserTest, NormalizeLeavesShortFlagsValuesAndTrailingArgsAlone) {
  EXPECT_THAT(NormalizeArgs({"-root", "-debug", "exec", "-dt", "-e", "-root",
                             "ID", "ls", "-all", "-root"}),
              ElementsAre("--root", "-debug", "exec", "-dt", "-e", "-root",
                          "ID", "ls", "-all", "-root"));
  EXPECT_THAT(NormalizeArgs({"kill", "-all", "ID", "-9"}),
              ElementsAre("kill", "--all", "ID", "-9"));
  EXPECT_THAT(NormalizeArgs({"-unknown", "list", "--", "-quiet"}),
              ElementsAre("-unknown", "list", "--", "-quiet"));
  EXPECT_THAT(NormalizeArgs({"-rootless", "true", "list"}),
              ElementsAre("--rootless=true", "list"));
  EXPECT_THAT(NormalizeArgs({"-rootless", "list"}),
              ElementsAre("--rootless", "list"));
}

TEST(ParserTest, RootlessTakesAnOptionalValue) {
  EXPECT_EQ(MustParse({"--rootless", "list"}).global.rootless, "true");
  EXPECT_EQ(MustParse({"--rootless", "auto", "list"}).global.rootless, "auto");
  EXPECT_EQ(MustParse({"--rootless=false", "list"}).global.rootless, "false");
  EXPECT_EQ(MustParse({"list"}).global.rootless, "");
  EXPECT_THAT(ParseError({"--rootless=maybe", "list"}), HasSubstr("maybe"));
}

TEST(ParserTest, RepeatedFlagKeepsTheLast) {
  Invocation inv = MustParse({"--root", "/a", "--root", "/b", "list"});
  EXPECT_EQ(inv.global.root, "/b");
}

TEST(ParserTest, GlobalFlagAfterSubcommand) {
  Invocation inv = MustParse({"list", "--root", "/x", "-q"});
  EXPECT_EQ(inv.global.root, "/x");
  EXPECT_TRUE(inv.list.quiet);
}

TEST(ParserTest, KillSignalAfterId) {
  Invocation inv = MustParse({"kill", "abc", "9"});
  EXPECT_EQ(inv.kill.id, "abc");
  EXPECT_EQ(inv.kill.signal, "9");
  EXPECT_FALSE(inv.kill.all);

  inv = MustParse({"kill", "--all", "abc", "KILL"});
  EXPECT_TRUE(inv.kill.all);
  EXPECT_EQ(inv.kill.signal, "KILL");

  inv = MustParse({"kill", "-a", "abc"});
  EXPECT_TRUE(inv.kill.all);
  EXPECT_EQ(inv.kill.signal, "SIGTERM");

  inv = MustParse({"kill", "abc", "SIGINT", "--all"});
  EXPECT_TRUE(inv.kill.all);
  EXPECT_EQ(inv.kill.signal, "SIGINT");
}

TEST(ParserTest, DeleteForceSpellings) {
  EXPECT_TRUE(MustParse({"delete", "--force", "x"}).del.force);
  EXPECT_TRUE(MustParse({"delete", "-f", "x"}).del.force);
  EXPECT_TRUE(MustParse({"delete", "x", "--force"}).del.force);
  EXPECT_TRUE(MustParse({"delete", "-force", "x"}).del.force);
  EXPECT_FALSE(MustParse({"delete", "x"}).del.force);
  EXPECT_EQ(MustParse({"delete", "x"}).del.id, "x");
}

TEST(ParserTest, ListFormats) {
  Invocation inv = MustParse({"list", "--format", "json"});
  EXPECT_EQ(inv.list.format, "json");
  EXPECT_FALSE(inv.list.quiet);
  EXPECT_EQ(MustParse({"list", "-f", "json", "-q"}).list.format, "json");
  EXPECT_EQ(MustParse({"list"}).list.format, "table");
  EXPECT_THAT(ParseError({"list", "--format", "yaml"}), HasSubstr("yaml"));
}

TEST(ParserTest, PsFormatBeforeIdAndPsArgsAfter) {
  Invocation inv = MustParse({"ps", "--format", "json", "abc"});
  EXPECT_EQ(inv.ps.format, "json");
  EXPECT_EQ(inv.ps.id, "abc");
  EXPECT_THAT(inv.ps.ps_args, IsEmpty());

  inv = MustParse({"ps", "abc", "-ef"});
  EXPECT_EQ(inv.ps.format, "table");
  EXPECT_THAT(inv.ps.ps_args, ElementsAre("-ef"));
}

TEST(ParserTest, ExecAsContainerdAndPodmanSendIt) {
  Invocation inv =
      MustParse({"exec", "--process", "/tmp/runc-process1", "--console-socket",
                 "/s", "--detach", "--pid-file", "/b/e1.pid", "abc"});
  EXPECT_EQ(inv.command, "exec");
  EXPECT_EQ(inv.exec.process, "/tmp/runc-process1");
  EXPECT_EQ(inv.exec.console_socket, "/s");
  EXPECT_TRUE(inv.exec.detach);
  EXPECT_EQ(inv.exec.pid_file, "/b/e1.pid");
  EXPECT_EQ(inv.exec.id, "abc");
  EXPECT_THAT(inv.exec.args, IsEmpty());

  inv = MustParse({"exec", "--pid-file", "/x/exec_pid", "--process",
                   "/x/exec-process-1", "--detach", "--tty", "--console-socket",
                   "/c", "abc"});
  EXPECT_TRUE(inv.exec.tty);
}

TEST(ParserTest, ExecCommandAfterIdIsVerbatim) {
  Invocation inv = MustParse({"exec",  "-t",        "-e",
                              "A=1",   "--env",     "B=2",
                              "-u",    "1000:100",  "--cwd",
                              "/tmp",  "--cap",     "CAP_NET_ADMIN",
                              "-c",    "CAP_CHOWN", "--no-new-privs",
                              "abc",   "ls",        "-la",
                              "--tty", "-root",     "--",
                              "x"});
  EXPECT_TRUE(inv.exec.tty);
  EXPECT_THAT(inv.exec.env, ElementsAre("A=1", "B=2"));
  EXPECT_EQ(inv.exec.user, "1000:100");
  EXPECT_EQ(inv.exec.cwd, "/tmp");
  EXPECT_THAT(inv.exec.caps, ElementsAre("CAP_NET_ADMIN", "CAP_CHOWN"));
  EXPECT_TRUE(inv.exec.no_new_privs);
  EXPECT_EQ(inv.exec.id, "abc");
  EXPECT_THAT(inv.exec.args,
              ElementsAre("ls", "-la", "--tty", "-root", "--", "x"));
}

TEST(ParserTest, RepeatableExecFlagsTakeOneValueEach) {
  // A repeatable flag right before the ID must not swallow it.
  Invocation inv = MustParse({"exec", "--cap", "CAP_KILL", "abc", "cat", "/x"});
  EXPECT_THAT(inv.exec.caps, ElementsAre("CAP_KILL"));
  EXPECT_EQ(inv.exec.id, "abc");
  EXPECT_THAT(inv.exec.args, ElementsAre("cat", "/x"));
  inv = MustParse(
      {"exec", "-e", "A=1", "-g", "10", "-g", "11", "--env=B=2", "abc", "env"});
  EXPECT_THAT(inv.exec.env, ElementsAre("A=1", "B=2"));
  EXPECT_THAT(inv.exec.additional_gids, ElementsAre(10, 11));
  EXPECT_EQ(inv.exec.id, "abc");
  EXPECT_THAT(inv.exec.args, ElementsAre("env"));
}

TEST(ParserTest, ExecShortFlagCluster) {
  Invocation inv = MustParse({"exec", "-dt", "abc", "sh"});
  EXPECT_TRUE(inv.exec.detach);
  EXPECT_TRUE(inv.exec.tty);
  EXPECT_THAT(inv.exec.args, ElementsAre("sh"));
}

TEST(ParserTest, SpecFlagsAndCommand) {
  Invocation inv = MustParse({"spec", "--bundle", "/b", "--rootless"});
  EXPECT_EQ(inv.spec.bundle, "/b");
  EXPECT_TRUE(inv.spec.rootless);
  EXPECT_FALSE(inv.global.rootless == "true");
  inv = MustParse({"spec", "-b", "/b", "--", "/bin/echo", "-n", "hi"});
  EXPECT_THAT(inv.spec.args, ElementsAre("/bin/echo", "-n", "hi"));
}

TEST(ParserTest, UpdateEventsWait) {
  Invocation inv = MustParse({"update", "-r", "-", "--memory", "1000000",
                              "--cpu-quota", "5000", "abc"});
  EXPECT_EQ(inv.update.resources, "-");
  EXPECT_EQ(inv.update.memory, "1000000");
  EXPECT_EQ(inv.update.cpu_quota, "5000");
  EXPECT_EQ(inv.update.id, "abc");

  inv = MustParse({"events", "--stats", "--interval=1s", "abc"});
  EXPECT_TRUE(inv.events.stats);
  EXPECT_EQ(inv.events.interval, "1s");
  EXPECT_EQ(MustParse({"events", "abc"}).events.interval, "5s");

  inv = MustParse({"wait", "--pid", "42", "abc"});
  EXPECT_EQ(inv.wait.pid, 42);
}

TEST(ParserTest, CheckpointRestore) {
  Invocation inv =
      MustParse({"checkpoint", "--image-path", "/img", "--work-path", "/w",
                 "--leave-running", "--tcp-established", "abc"});
  EXPECT_EQ(inv.checkpoint.image_path, "/img");
  EXPECT_TRUE(inv.checkpoint.leave_running);
  inv = MustParse({"restore", "--image-path", "/img", "--bundle", "/b",
                   "--pid-file", "/p", "-d", "abc"});
  EXPECT_EQ(inv.restore.image_path, "/img");
  EXPECT_EQ(inv.restore.create.bundle, "/b");
  EXPECT_EQ(inv.restore.create.pid_file, "/p");
  EXPECT_TRUE(inv.restore.detach);
  EXPECT_EQ(inv.restore.create.id, "abc");
}

TEST(ParserTest, InternalBootAndGoferTakeDescriptors) {
  Invocation inv = MustParse(
      {"--root", "/r", "boot", "--spec-fd=3", "--controller-fd", "4",
       "--io-fds=5,6", "--io-fds", "7", "--stdio-fds=0,1,2",
       "--start-sync-fd=8", "--mounts-fd", "9", "--bundle", "/b", "abc"});
  EXPECT_EQ(inv.command, "boot");
  EXPECT_EQ(inv.boot.spec_fd, 3);
  EXPECT_EQ(inv.boot.controller_fd, 4);
  EXPECT_THAT(inv.boot.io_fds, ElementsAre(5, 6, 7));
  EXPECT_THAT(inv.boot.stdio_fds, ElementsAre(0, 1, 2));
  EXPECT_EQ(inv.boot.start_sync_fd, 8);
  EXPECT_EQ(inv.boot.mounts_fd, 9);
  EXPECT_EQ(inv.boot.id, "abc");

  inv = MustParse({"gofer", "-spec-fd=3", "-io-fds=4,5", "-bundle", "/b"});
  EXPECT_EQ(inv.command, "gofer");
  EXPECT_EQ(inv.gofer.spec_fd, 3);
  EXPECT_THAT(inv.gofer.io_fds, ElementsAre(4, 5));
  EXPECT_EQ(inv.gofer.bundle, "/b");
  EXPECT_THAT(ParseError({"boot", "--spec-fd", "three", "abc"}),
              HasSubstr("spec-fd"));
}

TEST(ParserTest, VersionAndHelp) {
  EXPECT_EQ(MustParse({"--version"}).command, "version");
  EXPECT_EQ(MustParse({"-v"}).command, "version");
  EXPECT_EQ(MustParse({"-version"}).command, "version");

  Invocation inv = MustParse({"help"});
  EXPECT_EQ(inv.command, "help");
  EXPECT_THAT(inv.help_text, HasSubstr("create"));
  EXPECT_THAT(inv.help_text, HasSubstr("--root"));
  EXPECT_THAT(inv.help_text, ::testing::Not(HasSubstr("gofer")));

  inv = MustParse({"help", "exec"});
  EXPECT_THAT(inv.help_text, HasSubstr("--console-socket"));
  inv = MustParse({"create", "--help"});
  EXPECT_EQ(inv.command, "help");
  EXPECT_THAT(inv.help_text, HasSubstr("--bundle"));
  inv = MustParse({"--help"});
  EXPECT_THAT(inv.help_text, HasSubstr("Run 'runsc help COMMAND'"));
  EXPECT_EQ(MustParse({}).command, "help");
}

TEST(ParserTest, ErrorsNameTheProblem) {
  EXPECT_THAT(ParseError({"--bogus", "list"}), HasSubstr("--bogus"));
  EXPECT_THAT(ParseError({"--log-format", "xml", "list"}), HasSubstr("xml"));
  EXPECT_THAT(ParseError({"--platform", "kvm", "list"}), HasSubstr("kvm"));
  EXPECT_THAT(ParseError({"--network", "bridge", "list"}), HasSubstr("bridge"));
  EXPECT_THAT(ParseError({"create"}), HasSubstr("container-id"));
  EXPECT_THAT(ParseError({"frobnicate"}), HasSubstr("frobnicate"));
  EXPECT_THAT(ParseError({"create", "--preserve-fds", "-1", "x"}),
              HasSubstr("preserve-fds"));
  EXPECT_THAT(ParseError({"start", "a", "b"}), HasSubstr("b"));
}

TEST(ParserTest, EveryCommandIsRegistered) {
  for (const CommandInfo& c : Commands()) {
    std::string usage = UsageText(c.name);
    EXPECT_THAT(usage, HasSubstr(c.name)) << c.name;
  }
}

}  // namespace
}  // namespace runsc::cli

namespace runsc::cli {
namespace {

TEST(LoggingFlagsOnlyTest, FindsLogFlagsInABadCommandLine) {
  GlobalOptions g =
      LoggingFlagsOnly({"-log", "/b/log.json", "--log-format=json", "--debug",
                        "create", "--bogus", "x"});
  EXPECT_EQ(g.log, "/b/log.json");
  EXPECT_EQ(g.log_format, "json");
  EXPECT_TRUE(g.debug);
  g = LoggingFlagsOnly({"--log-format", "xml", "--log=/l", "list"});
  EXPECT_EQ(g.log_format, "text");
  EXPECT_EQ(g.log, "/l");
}

}  // namespace
}  // namespace runsc::cli
