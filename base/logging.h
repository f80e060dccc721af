// Process-wide logging for runsc, boot and gofer.
//
// Debian 12's Abseil has no absl/log, so this is our own small module. Two
// formats: text ("I1122 15:11:32.123456 pid] msg") and JSON, one object a
// line with "level", "msg" and "time" (RFC 3339), which is what containerd
// and conmon parse from --log. Sinks are file descriptors opened O_APPEND by
// the caller; every record is written with one write(2) so that concurrent
// writers to the same file (Docker passes one log to every call) never
// interleave within a line.
//
// Thread-safe: the sink list is guarded by a mutex; records are formatted
// without it.
#ifndef BASE_LOGGING_H_
#define BASE_LOGGING_H_

#include <sstream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace base {

enum class LogLevel {
  kDebug = 0,
  kInfo = 1,
  kWarning = 2,
  kError = 3,
  kFatal = 4
};
enum class LogFormat { kText, kJson };

// Parses "text" / "json".
bool ParseLogFormat(absl::string_view s, LogFormat* out);

// Formats one record (with a trailing newline) in the given format.
std::string FormatLogRecord(LogFormat format, LogLevel level, absl::Time t,
                            absl::string_view msg);

// Adds a sink. The logger does not own `fd` unless `owned` is set.
// `min_level` filters records below it.
void AddLogSink(int fd, LogFormat format, LogLevel min_level, bool owned);

// Removes every sink (closing the owned ones). For tests and for children
// that must not keep the parent's log descriptors.
void ClearLogSinks();

// Writes `msg` to every sink whose level admits it. kFatal aborts after
// writing.
void LogMessage(LogLevel level, absl::string_view msg);

// Stream-style front end used by the LOG macro.
class LogRecord {
 public:
  explicit LogRecord(LogLevel level) : level_(level) {}
  ~LogRecord() { LogMessage(level_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace base

#define LOG_LEVEL_DEBUG ::base::LogLevel::kDebug
#define LOG_LEVEL_INFO ::base::LogLevel::kInfo
#define LOG_LEVEL_WARNING ::base::LogLevel::kWarning
#define LOG_LEVEL_ERROR ::base::LogLevel::kError
#define LOG_LEVEL_FATAL ::base::LogLevel::kFatal

// LOG(INFO) << "text";
#define LOG(severity) ::base::LogRecord(LOG_LEVEL_##severity).stream()

// CHECK is only for our own invariants, never for input from the application,
// the gofer's peer or config files.
#define CHECK(cond) \
  if (!(cond))      \
  LOG(FATAL) << __FILE__ << ":" << __LINE__ << ": CHECK failed: " #cond " "

#endif  // BASE_LOGGING_H_
