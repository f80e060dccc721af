#include "runsc/cli/logging_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/errors.h"

namespace runsc::cli {
namespace {

absl::StatusOr<base::UniqueFd> OpenAppend(const std::string& path) {
  int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  return base::UniqueFd(fd);
}

// mkdir -p; existing directories are fine.
absl::Status MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return base::ErrnoStatus(errno, absl::StrCat("mkdir ", prefix));
    }
  }
  return absl::OkStatus();
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

base::LogFormat FormatFromFlag(const std::string& s) {
  base::LogFormat f = base::LogFormat::kText;
  base::ParseLogFormat(s, &f);  // The parser already checked the value.
  return f;
}

}  // namespace

std::string DebugLogPath(absl::string_view flag, bool is_dir,
                         absl::string_view command, absl::string_view id,
                         pid_t pid, absl::Time now) {
  if (is_dir) {
    std::string dir(flag.data(), flag.size());
    if (!absl::EndsWith(dir, "/")) dir += "/";
    return absl::StrCat(dir, "runsc.", pid, ".", command, ".log");
  }
  return absl::StrReplaceAll(
      flag, {{"%ID%", id},
             {"%COMMAND%", command},
             {"%TIMESTAMP%",
              absl::FormatTime("%Y%m%d-%H%M%E6S", now, absl::UTCTimeZone())}});
}

base::LogLevel LogLevelFromFlags(const GlobalOptions& g) {
  if (g.debug) return base::LogLevel::kDebug;
  const std::string& l = g.log_level;
  if (l == "trace" || l == "debug") return base::LogLevel::kDebug;
  if (l == "warn" || l == "warning") return base::LogLevel::kWarning;
  if (l == "error") return base::LogLevel::kError;
  if (l == "fatal" || l == "panic") return base::LogLevel::kFatal;
  return base::LogLevel::kInfo;
}

absl::StatusOr<std::unique_ptr<LogSetup>> LogSetup::Install(
    const GlobalOptions& g, absl::string_view command, absl::string_view id) {
  std::unique_ptr<LogSetup> s(new LogSetup());
  s->log_format_ = FormatFromFlag(g.log_format);
  s->debug_format_ = FormatFromFlag(g.debug_log_format);
  s->level_ = LogLevelFromFlags(g);
  s->also_stderr_ = g.alsologtostderr;
  if (g.log.empty() && !g.debug && g.log_level.empty()) {
    // Only stderr: keep it quiet unless something is wrong.
    s->level_ = base::LogLevel::kWarning;
  }
  // A log that cannot be opened must not make the command fail (an engine
  // would then see a spurious error): fall back to stderr and say why.
  std::vector<std::string> warnings;
  if (!g.log.empty()) {
    absl::StatusOr<base::UniqueFd> fd = OpenAppend(g.log);
    if (fd.ok()) {
      s->log_fd_ = *std::move(fd);
    } else {
      warnings.push_back(absl::StrCat("--log: ", fd.status().message(),
                                      "; logging to stderr instead"));
    }
  }
  if (!g.debug_log.empty()) {
    bool is_dir = absl::EndsWith(g.debug_log, "/") || IsDirectory(g.debug_log);
    absl::Status made = is_dir ? MakeDirs(g.debug_log) : absl::OkStatus();
    s->debug_log_path_ =
        DebugLogPath(g.debug_log, is_dir, command, id, ::getpid(), absl::Now());
    absl::StatusOr<base::UniqueFd> fd =
        made.ok() ? OpenAppend(s->debug_log_path_)
                  : absl::StatusOr<base::UniqueFd>(made);
    if (fd.ok()) {
      s->debug_fd_ = *std::move(fd);
    } else {
      warnings.push_back(absl::StrCat("--debug-log: ", fd.status().message()));
      s->debug_log_path_.clear();
    }
  }
  base::ClearLogSinks();
  s->AddSinks(/*with_stderr=*/true);
  for (const std::string& w : warnings) {
    base::LogMessage(base::LogLevel::kWarning, w);
  }
  return s;
}

LogSetup::~LogSetup() { base::ClearLogSinks(); }

void LogSetup::AddSinks(bool with_stderr) {
  if (log_fd_) {
    base::AddLogSink(log_fd_.get(), log_format_, level_, /*owned=*/false);
    if (with_stderr) {
      base::AddLogSink(STDERR_FILENO, base::LogFormat::kText,
                       also_stderr_ ? level_ : base::LogLevel::kError,
                       /*owned=*/false);
    }
  } else if (with_stderr) {
    base::AddLogSink(STDERR_FILENO, base::LogFormat::kText, level_,
                     /*owned=*/false);
  }
  if (debug_fd_) {
    base::AddLogSink(debug_fd_.get(), debug_format_, base::LogLevel::kDebug,
                     /*owned=*/false);
  }
}

void LogSetup::ReportError(absl::string_view msg) {
  base::ClearLogSinks();
  AddSinks(/*with_stderr=*/false);
  base::LogMessage(base::LogLevel::kError, msg);
  std::string line = absl::StrCat("runsc: ", msg, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  base::ClearLogSinks();
  AddSinks(/*with_stderr=*/true);
}

}  // namespace runsc::cli
