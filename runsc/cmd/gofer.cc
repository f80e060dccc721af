// runsc gofer (internal): serves one container's files over --io-fds. The
// spec arrives on --spec-fd (a sealed memfd written by the launcher): the
// rootfs and the bind mounts, in the order the sandbox attaches them.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "gofer/gofer_main.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {
namespace {

absl::StatusOr<std::string> ReadSpecFd(int fd) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  while (true) {
    ssize_t n = ::pread(fd, buf, sizeof(buf), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, "reading --spec-fd");
    if (n == 0) break;
    out.append(buf, n);
    off += n;
    if (out.size() > (16u << 20)) {
      return absl::InvalidArgumentError("--spec-fd: spec too large");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

absl::StatusOr<int> Gofer(const Context& ctx) {
  const cli::GoferOptions& o = ctx.inv.gofer;
  if (o.spec_fd < 0)
    return absl::InvalidArgumentError("gofer: --spec-fd is required");
  ASSIGN_OR_RETURN(std::string text, ReadSpecFd(o.spec_fd));
  absl::StatusOr<specutils::Spec> parsed = specutils::ParseSpec(text, o.bundle);
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat("gofer: the spec on --spec-fd=", o.spec_fd,
                                     ": ", parsed.status().message()));
  }
  const specutils::Spec& spec = *parsed;
  gofer::GoferConfig c;
  c.rootfs = spec.root.path;
  c.rootfs_read_only = spec.root.readonly;
  for (const auto& m : spec.raw.value("mounts", nlohmann::json::array())) {
    bool bind = m.value("type", "") == "bind";
    std::vector<std::string> opts;
    for (const auto& x : m.value("options", nlohmann::json::array())) {
      opts.push_back(x.get<std::string>());
      bind |= x == "bind" || x == "rbind";
    }
    if (!bind) continue;
    gofer::GoferMount gm;
    gm.destination = m.value("destination", "");
    gm.source = m.value("source", "");
    if (!gm.source.empty() && gm.source[0] != '/') {
      gm.source = absl::StrCat(spec.bundle_dir, "/", gm.source);
    }
    gm.options = std::move(opts);
    c.mounts.push_back(std::move(gm));
  }
  c.connection_fds = o.io_fds;
  c.log_fd = o.log_fd;
  RETURN_IF_ERROR(gofer::RunGofer(c));
  return 0;
}

}  // namespace runsc::cmd
