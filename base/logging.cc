#include "base/logging.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace base {
namespace {

struct Sink {
  int fd;
  LogFormat format;
  LogLevel min_level;
  bool owned;
};

absl::Mutex sinks_mu(absl::kConstInit);
// Leaked on purpose: logging must work during static destruction.
std::vector<Sink>* sinks ABSL_GUARDED_BY(sinks_mu) = nullptr;
bool sinks_configured ABSL_GUARDED_BY(sinks_mu) = false;

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kFatal:
      return "fatal";
  }
  return "info";
}

char LevelLetter(LogLevel level) { return "DIWEF"[static_cast<int>(level)]; }

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a logging failure.
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

bool ParseLogFormat(absl::string_view s, LogFormat* out) {
  if (s == "text") {
    *out = LogFormat::kText;
    return true;
  }
  if (s == "json") {
    *out = LogFormat::kJson;
    return true;
  }
  return false;
}

std::string FormatLogRecord(LogFormat format, LogLevel level, absl::Time t,
                            absl::string_view msg) {
  std::string out;
  if (format == LogFormat::kJson) {
    out = "{\"level\":";
    AppendJsonString(&out, LevelName(level));
    out.append(",\"msg\":");
    AppendJsonString(&out, msg);
    out.append(",\"time\":");
    AppendJsonString(&out, absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", t,
                                            absl::UTCTimeZone()));
    out.append("}\n");
  } else {
    out = absl::StrCat(
        std::string(1, LevelLetter(level)),
        absl::FormatTime("%m%d %H:%M:%E6S", t, absl::UTCTimeZone()), " ",
        ::getpid(), "] ", msg, "\n");
  }
  return out;
}

void AddLogSink(int fd, LogFormat format, LogLevel min_level, bool owned) {
  absl::MutexLock lock(&sinks_mu);
  if (sinks == nullptr)
    sinks = new std::vector<Sink>();  // NOLINT: leaked on purpose
  sinks->push_back(Sink{fd, format, min_level, owned});
  sinks_configured = true;
}

void ClearLogSinks() {
  absl::MutexLock lock(&sinks_mu);
  if (sinks == nullptr) return;
  for (const Sink& s : *sinks) {
    if (s.owned) ::close(s.fd);
  }
  sinks->clear();
}

void LogMessage(LogLevel level, absl::string_view msg) {
  absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&sinks_mu);
    if (!sinks_configured) {
      // Before configuration, warnings and errors still reach stderr.
      if (level >= LogLevel::kWarning) {
        WriteAll(STDERR_FILENO,
                 FormatLogRecord(LogFormat::kText, level, now, msg));
      }
    } else if (sinks != nullptr) {
      for (const Sink& s : *sinks) {
        if (level < s.min_level) continue;
        WriteAll(s.fd, FormatLogRecord(s.format, level, now, msg));
      }
    }
  }
  if (level == LogLevel::kFatal) std::abort();
}

}  // namespace base
