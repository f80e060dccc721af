#include "runsc/cmd/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

// Writes all of `s` to a pipe; a hook that exits without reading is fine.
void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::vector<HookSpec>> ParseHooks(const json& spec,
                                                 absl::string_view kind) {
  std::vector<HookSpec> out;
  if (!spec.is_object() || !spec.contains("hooks")) return out;
  const json& hooks = spec["hooks"];
  std::string k(kind);
  if (!hooks.is_object() || !hooks.contains(k)) return out;
  const json& list = hooks[k];
  if (!list.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hooks.", kind, " must be an array"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const json& h = list[i];
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("hooks.", kind, "[", i, "]: ", why));
    };
    if (!h.is_object() || !h.contains("path") || !h["path"].is_string()) {
      return bad("path is missing");
    }
    HookSpec s;
    s.path = h["path"].get<std::string>();
    if (s.path.empty() || s.path[0] != '/') return bad("path must be absolute");
    for (const char* field : {"args", "env"}) {
      if (!h.contains(field)) continue;
      if (!h[field].is_array()) return bad(absl::StrCat(field, " not a list"));
      for (const auto& a : h[field]) {
        if (!a.is_string()) return bad(absl::StrCat(field, " not strings"));
        (std::string(field) == "args" ? s.args : s.env)
            .push_back(a.get<std::string>());
      }
    }
    if (h.contains("timeout") && !h["timeout"].is_null()) {
      if (!h["timeout"].is_number_integer() || h["timeout"].get<int>() <= 0) {
        return bad("timeout must be a positive number of seconds");
      }
      s.timeout = absl::Seconds(h["timeout"].get<int>());
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status RunHook(const HookSpec& hook, const std::string& state) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe");
  base::UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> args = hook.args;
  if (args.empty()) args.push_back(hook.path);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return base::ErrnoStatus(errno, "fork");
  if (pid == 0) {
    ::dup2(rd.get(), 0);
    // stdout too goes to stderr: runsc's stdout may be an engine's pipe.
    ::dup2(2, 1);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  rd.reset();
  // A hook that never reads must not block us: SIGPIPE ignored meanwhile.
  struct sigaction ign = {}, old = {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  WriteAll(wr.get(), state);
  wr.reset();
  ::sigaction(SIGPIPE, &old, nullptr);

  absl::Time deadline = hook.timeout.has_value() ? absl::Now() + *hook.timeout
                                                 : absl::InfiniteFuture();
  int st = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &st, hook.timeout.has_value() ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return base::ErrnoStatus(errno, "waitpid");
    if (r == 0) {
      if (absl::Now() >= deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
        return absl::DeadlineExceededError(absl::StrCat(
            "timed out after ", absl::FormatDuration(*hook.timeout)));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return absl::OkStatus();
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
    return absl::FailedPreconditionError(
        "exited with status 127 (cannot be run?)");
  }
  if (WIFEXITED(st)) {
    return absl::FailedPreconditionError(
        absl::StrCat("exited with status ", WEXITSTATUS(st)));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("killed by signal ", WTERMSIG(st)));
}

absl::Status RunHooks(const json& spec, absl::string_view kind,
                      const json& state) {
  ASSIGN_OR_RETURN(std::vector<HookSpec> hooks, ParseHooks(spec, kind));
  std::string text = state.dump();
  for (size_t i = 0; i < hooks.size(); ++i) {
    LOG(DEBUG) << "running " << kind << " hook " << hooks[i].path;
    absl::Status s = RunHook(hooks[i], text);
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(kind, " hook #", i, " (", hooks[i].path,
                                       "): ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status RunCreateHooks(const container::Metadata& md) {
  container::Metadata creating = md;
  creating.status = container::Status::kCreating;
  const json state = container::OciState(creating);
  for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
    RETURN_IF_ERROR(RunHooks(md.spec, kind, state));
  }
  return absl::OkStatus();
}

void RunHooksBestEffort(const json& spec, absl::string_view kind,
                        const json& state) {
  absl::StatusOr<std::vector<HookSpec>> hooks = ParseHooks(spec, kind);
  if (!hooks.ok()) {
    LOG(WARNING) << hooks.status();
    return;
  }
  std::string text = state.dump();
  for (size_t i = 0; i < hooks->size(); ++i) {
    absl::Status s = RunHook((*hooks)[i], text);
    if (!s.ok()) {
      LOG(WARNING) << kind << " hook #" << i << " (" << (*hooks)[i].path
                   << "): " << s.message();
    }
  }
}

}  // namespace runsc::cmd
