// Turns the global logging flags into base/logging sinks for one command.
//
// Contract:
//  * --log FILE: opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC (Docker passes the
//    same file to every call, so each record is appended as one write) in
//    --log-format (text or json: one object a line with level, msg, time).
//    Level: debug with --debug, else --log-level, else info. Errors also go
//    to stderr as text.
//  * Without --log, records go to stderr as text (warnings and up, or the
//    chosen level with --debug/--log-level); --alsologtostderr adds stderr
//    when --log is given.
//  * --debug-log PATH: always at debug level, in --debug-log-format. PATH is a
//    directory when it ends in '/' (created if missing) or names an existing
//    directory; the file is then `runsc.<pid>.<command>.log` inside it. In a
//    file PATH, %ID%, %COMMAND% and %TIMESTAMP% are replaced (gVisor's
//    patterns).
//  * A --log or --debug-log that cannot be opened does not fail the command
//    (Docker's and containerd's cleanup calls must not fail over a log): a
//    warning naming the file goes to stderr.
//  * ReportError is how main reports the command's failure: the message is
//    logged at error level to the log files and printed once on stderr as
//    `runsc: <message>` (never twice).
//
// Owns the descriptors it opens; the destructor removes every sink. One per
// process; not thread-safe against concurrent Install.
#ifndef RUNSC_CLI_LOGGING_SETUP_H_
#define RUNSC_CLI_LOGGING_SETUP_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/logging.h"
#include "base/unique_fd.h"
#include "runsc/cli/options.h"

namespace runsc::cli {

// Where --debug-log's file goes for this command (see the contract above).
// `is_dir` says whether `flag` names a directory.
std::string DebugLogPath(absl::string_view flag, bool is_dir,
                         absl::string_view command, absl::string_view id,
                         pid_t pid, absl::Time now);

// The level the --log file (or stderr) receives.
base::LogLevel LogLevelFromFlags(const GlobalOptions& g);

class LogSetup {
 public:
  // Opens the files the flags name and installs the sinks. A file that
  // cannot be opened is not fatal: a warning naming it goes to stderr (and
  // the --log file's records go to stderr instead). Fails only on internal
  // errors.
  static absl::StatusOr<std::unique_ptr<LogSetup>> Install(
      const GlobalOptions& g, absl::string_view command, absl::string_view id);

  ~LogSetup();
  LogSetup(const LogSetup&) = delete;
  LogSetup& operator=(const LogSetup&) = delete;

  // Logs `msg` at error level to the files and prints "runsc: <msg>" on
  // stderr.
  void ReportError(absl::string_view msg);

  const std::string& debug_log_path() const { return debug_log_path_; }

 private:
  LogSetup() = default;
  void AddSinks(bool with_stderr);

  base::LogFormat log_format_ = base::LogFormat::kText;
  base::LogFormat debug_format_ = base::LogFormat::kText;
  base::LogLevel level_ = base::LogLevel::kInfo;
  base::UniqueFd log_fd_;
  base::UniqueFd debug_fd_;
  bool also_stderr_ = false;
  std::string debug_log_path_;
};

}  // namespace runsc::cli

#endif  // RUNSC_CLI_LOGGING_SETUP_H_
