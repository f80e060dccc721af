#include "runsc/cmd/console.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"

namespace runsc::cmd {
namespace {

absl::Status SendFd(const std::string& socket_path, int fd,
                    const std::string& name) {
  base::UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return base::ErrnoStatus(errno, "console socket");
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--console-socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    return base::ErrnoStatus(errno,
                             "connecting to --console-socket " + socket_path);
  }
  // runc sends the terminal's name as the data of the one message.
  iovec iov = {const_cast<char*>(name.data()), name.size()};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(s.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return base::ErrnoStatus(errno, "sending the console");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostConsole> SetUpConsole(const std::string& socket_path,
                                         const nlohmann::json& process) {
  base::UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid()) return base::ErrnoStatus(errno, "posix_openpt");
  if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) {
    return base::ErrnoStatus(errno, "unlockpt");
  }
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof(name)) != 0) {
    return base::ErrnoStatus(errno, "ptsname");
  }
  HostConsole hc;
  hc.replica.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!hc.replica.valid()) return base::ErrnoStatus(errno, name);
  // The host line discipline must not edit, echo or translate: the
  // sentry's does.
  termios t;
  if (::tcgetattr(hc.replica.get(), &t) != 0) {
    return base::ErrnoStatus(errno, "tcgetattr");
  }
  ::cfmakeraw(&t);
  if (::tcsetattr(hc.replica.get(), TCSANOW, &t) != 0) {
    return base::ErrnoStatus(errno, "tcsetattr");
  }
  if (process.is_object() && process.contains("consoleSize") &&
      process["consoleSize"].is_object()) {
    winsize ws = {};
    ws.ws_row = process["consoleSize"].value("height", 0);
    ws.ws_col = process["consoleSize"].value("width", 0);
    if (ws.ws_row > 0 && ws.ws_col > 0) {
      ::ioctl(hc.replica.get(), TIOCSWINSZ, &ws);
    }
  }
  RETURN_IF_ERROR(SendFd(socket_path, master.get(), name));
  return hc;
}

}  // namespace runsc::cmd
