#include "sentry/fs/devpts/tty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/time/time.h"

namespace sentry::fs::devpts {
namespace {

bool IsCtl(uint8_t c) { return c < 0x20 || c == 0x7f; }

// Copies the front of `q` (up to dst.size() - at) to dst at `at`, erasing
// what was copied. Returns the count, or EFAULT if nothing could be copied.
ErrnoOr<size_t> Drain(std::string& q, size_t max, vfs::IoDst& dst, size_t at) {
  size_t n = std::min({q.size(), max, dst.size() - at});
  if (n == 0) return size_t{0};
  auto c =
      dst.CopyOut(at, std::span<const std::byte>(
                          reinterpret_cast<const std::byte*>(q.data()), n));
  if (!c.ok()) return c.error();
  q.erase(0, *c);
  return *c;
}

template <typename T>
ErrnoOr<T> CopyInValue(TtyCaller& caller, uint64_t addr) {
  T v{};
  RETURN_IF_ERRNO(caller.CopyIn(
      addr, std::span<std::byte>(reinterpret_cast<std::byte*>(&v), sizeof(v))));
  return v;
}

template <typename T>
ErrnoStatus CopyOutValue(TtyCaller& caller, uint64_t addr, const T& v) {
  return caller.CopyOut(
      addr, std::span<const std::byte>(reinterpret_cast<const std::byte*>(&v),
                                       sizeof(v)));
}

}  // namespace

Pty::Pty(uint32_t index, std::shared_ptr<TtyKernel> kernel)
    : index_(index), kernel_(std::move(kernel)), termios_(DefaultTermios()) {}

Pty::~Pty() = default;

// --- Line discipline -------------------------------------------------------

void Pty::Output(uint8_t c) {
  const uint32_t o = termios_.c_oflag;
  if (o & kOPOST) {
    if (c == '\n' && (o & kONLCR)) {
      out_.push_back('\r');
    } else if (c == '\r' && (o & kOCRNL)) {
      c = '\n';
    }
  }
  out_.push_back(static_cast<char>(c));
}

void Pty::EchoRaw(absl::string_view s) {
  for (char c : s) Output(static_cast<uint8_t>(c));
}

// Echoes an input character (ECHOCTL shows control characters as ^X).
void Pty::Echo(uint8_t c) {
  if ((termios_.c_lflag & kECHOCTL) && IsCtl(c) && c != '\t' && c != '\n') {
    Output('^');
    Output(c == 0x7f ? '?' : static_cast<uint8_t>(c ^ 0x40));
    return;
  }
  Output(c);
}

// Removes the last character of the edited line, erasing it on screen when
// `echo` (ECHO|ECHOE): "\b \b", twice for a character echoed as ^X.
void Pty::EraseOne(bool echo) {
  if (edit_.empty()) return;
  uint8_t c = static_cast<uint8_t>(edit_.back());
  edit_.pop_back();
  if (!echo) return;
  int cols = ((termios_.c_lflag & kECHOCTL) && IsCtl(c) && c != '\t') ? 2 : 1;
  for (int i = 0; i < cols; ++i) EchoRaw("\b \b");
}

void Pty::FlushInput() {
  lines_.clear();
  edit_.clear();
  raw_.clear();
}

void Pty::ReceiveByte(uint8_t c, Signals* sigs) {
  const KernelTermios t = termios_;  // a copy: the lambda below reads it
  const uint32_t l = t.c_lflag;
  const bool echo = (l & kECHO) != 0;
  auto is = [&](int idx) { return t.c_cc[idx] != 0 && c == t.c_cc[idx]; };

  if (t.c_iflag & kISTRIP) c &= 0x7f;
  if (c == '\r') {
    if (t.c_iflag & kIGNCR) return;
    if (t.c_iflag & kICRNL) c = '\n';
  } else if (c == '\n' && (t.c_iflag & kINLCR)) {
    c = '\r';
  }

  if (l & kISIG) {
    int sig = is(kVINTR)   ? SIGINT
              : is(kVQUIT) ? SIGQUIT
              : is(kVSUSP) ? SIGTSTP
                           : 0;
    if (sig) {
      if (!(l & kNOFLSH)) {
        FlushInput();
        out_.clear();
      }
      if (echo) Echo(c);
      if (pgid_ > 0) sigs->emplace_back(pgid_, sig);
      return;
    }
  }

  if (l & kICANON) {
    if (is(kVERASE)) {
      if (edit_.empty()) return;
      if (echo && !(l & kECHOE)) {
        Echo(c);  // Linux echoes the erase character itself
        edit_.pop_back();
        return;
      }
      EraseOne(echo);
      return;
    }
    if (is(kVKILL)) {
      if (echo && (l & kECHOE) && (l & kECHOK) && (l & kECHOKE)) {
        while (!edit_.empty()) EraseOne(true);
      } else {
        edit_.clear();
        if (echo) {
          Echo(c);
          if (l & kECHOK) Output('\n');
        }
      }
      return;
    }
    if ((l & kIEXTEN) && is(kVWERASE)) {
      // Trailing non-word characters, then the word (Linux: alnum and _).
      bool seen_word = false;
      while (!edit_.empty()) {
        uint8_t last = static_cast<uint8_t>(edit_.back());
        bool word = std::isalnum(last) || last == '_';
        if (word) {
          seen_word = true;
        } else if (seen_word) {
          break;
        }
        EraseOne(echo && (l & kECHOE));
      }
      return;
    }
    if (is(kVEOF)) {
      lines_.push_back(std::move(edit_));
      edit_.clear();
      return;
    }
    if (c == '\n' || is(kVEOL) || ((l & kIEXTEN) && is(kVEOL2))) {
      if (echo || (c == '\n' && (l & kECHONL))) Echo(c);
      edit_.push_back(static_cast<char>(c));
      lines_.push_back(std::move(edit_));
      edit_.clear();
      return;
    }
    // Linux keeps room for the line terminator and drops the rest.
    if (edit_.size() >= kMaxCanonLine) return;
    if (echo) Echo(c);
    edit_.push_back(static_cast<char>(c));
    return;
  }

  if (echo) {
    Echo(c);
  } else if (c == '\n' && (l & kECHONL)) {
    Output(c);
  }
  raw_.push_back(static_cast<char>(c));
}

size_t Pty::InputQueued() {
  size_t n = raw_.size() + edit_.size();
  for (const auto& line : lines_) n += line.size();
  return n;
}

// Bytes a read could return now (FIONREAD): complete lines in canonical
// mode.
size_t Pty::ReadableInput() {
  if (!canonical()) return raw_.size();
  size_t n = 0;
  for (const auto& line : lines_) n += line.size();
  return n;
}

void Pty::SetTermios(const KernelTermios& t) {
  const bool was_canon = canonical();
  termios_ = t;
  if (was_canon && !canonical()) {
    for (auto& line : lines_) raw_ += line;
    raw_ += edit_;
    lines_.clear();
    edit_.clear();
  } else if (!was_canon && canonical()) {
    edit_ = std::move(raw_);
    raw_.clear();
    if (edit_.size() > kMaxCanonLine) edit_.resize(kMaxCanonLine);
  }
  Wake();
}

void Pty::Wake() {
  cv_.SignalAll();
  events_.Notify(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP |
                 POLLERR);
}

ErrnoStatus Pty::CheckBackground(TtyCaller* caller, int sig) {
  if (caller == nullptr || caller->ControllingTty().get() != this) {
    return OkErrno();
  }
  const int32_t fg = foreground_pgid();
  if (fg <= 0 || caller->Pgid() == fg) return OkErrno();
  return caller->BackgroundAccess(sig);
}

void Pty::Deliver(const Signals& sigs) {
  if (!kernel_) return;
  for (const auto& [pgid, sig] : sigs) kernel_->SignalProcessGroup(pgid, sig);
}

// --- Master ----------------------------------------------------------------

ErrnoOr<size_t> Pty::MasterRead(vfs::IoDst& dst, const vfs::IoOptions& opts) {
  if (dst.size() == 0) return size_t{0};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (!out_.empty()) {
      if (packet_) {
        // Packet mode: a TIOCPKT_DATA byte, then the data.
        const std::byte data{0};
        auto c = dst.CopyOut(0, std::span<const std::byte>(&data, 1));
        if (!c.ok()) return c.error();
        auto n = Drain(out_, out_.size(), dst, 1);
        Wake();
        return size_t{1} + (n.ok() ? *n : 0);
      }
      auto n = Drain(out_, out_.size(), dst, 0);
      Wake();
      return n;
    }
    if (replica_ever_opened_ && replicas_ == 0) return Errno{EIO};
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    cv_.Wait(&mu_);
  }
}

ErrnoOr<size_t> Pty::MasterWrite(vfs::IoSrc& src, const vfs::IoOptions& opts) {
  const size_t total = src.size();
  if (total == 0) return size_t{0};
  Signals sigs;
  size_t done = 0;
  ErrnoOr<size_t> result = size_t{0};
  {
    vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
    absl::MutexLock l(&mu_);
    for (;;) {
      size_t room = kQueueCapacity - std::min(kQueueCapacity, InputQueued());
      if (room > 0) {
        std::byte buf[256];
        size_t want = std::min({room, total - done, sizeof(buf)});
        auto c = src.CopyIn(done, std::span<std::byte>(buf, want));
        if (!c.ok() || *c == 0) {
          result = done ? ErrnoOr<size_t>(done) : Errno{EFAULT};
          break;
        }
        for (size_t i = 0; i < *c; ++i) {
          ReceiveByte(static_cast<uint8_t>(buf[i]), &sigs);
        }
        done += *c;
        Wake();
        if (done == total || *c < want) {
          result = done;
          break;
        }
        continue;
      }
      // Full: return what was written, or wait for the replica to read.
      if (done > 0 || !sigs.empty()) {
        result = done;
        break;
      }
      if (opts.nonblock) {
        result = Errno{EAGAIN};
        break;
      }
      if (opts.waiter && opts.waiter->interrupted()) {
        result = Errno{EINTR};
        break;
      }
      cv_.Wait(&mu_);
    }
  }
  Deliver(sigs);
  return result;
}

uint32_t Pty::MasterReadiness(uint32_t mask) {
  absl::MutexLock l(&mu_);
  uint32_t r = 0;
  if (!out_.empty()) r |= POLLIN | POLLRDNORM;
  if (InputQueued() < kQueueCapacity) r |= POLLOUT | POLLWRNORM;
  if (replica_ever_opened_ && replicas_ == 0) r |= POLLHUP;
  return r & (mask | POLLHUP | POLLERR);
}

void Pty::MasterClosed() {
  int32_t sid;
  {
    absl::MutexLock l(&mu_);
    master_open_ = false;
    sid = sid_;
    sid_ = 0;
    pgid_ = 0;
    Wake();
  }
  if (sid > 0 && kernel_) kernel_->HangupSession(sid, *this);
}

// --- Replica ---------------------------------------------------------------

ErrnoStatus Pty::OpenReplica(int flags, TtyCaller* caller) {
  bool cap = caller && caller->HasCapSysAdmin();
  bool want_ctty = caller && !(flags & O_NOCTTY) &&
                   caller->Pid() == caller->Sid() && !caller->ControllingTty();
  const int32_t sid = caller ? caller->Sid() : 0;
  const int32_t pgid = caller ? caller->Pgid() : 0;
  {
    absl::MutexLock l(&mu_);
    if (locked_ || !master_open_) return Errno{EIO};
    if (exclusive_ && !cap) return Errno{EBUSY};
    ++replicas_;
    replica_ever_opened_ = true;
    want_ctty = want_ctty && sid_ == 0;
    if (want_ctty) {
      sid_ = sid;
      pgid_ = pgid;
    }
  }
  if (want_ctty) caller->SetControllingTty(shared_from_this());
  return OkErrno();
}

void Pty::ReplicaClosed() {
  absl::MutexLock l(&mu_);
  --replicas_;
  Wake();
}

ErrnoOr<size_t> Pty::ReplicaRead(vfs::IoDst& dst, const vfs::IoOptions& opts) {
  RETURN_IF_ERRNO(CheckBackground(CurrentCaller(), SIGTTIN));
  if (dst.size() == 0) return size_t{0};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  size_t done = 0;
  bool timed = false;  // VTIME's timer is running
  for (;;) {
    if (!master_open_) return done;  // hangup: EOF
    if (canonical()) {
      if (!lines_.empty()) {
        std::string& line = lines_.front();
        if (line.empty()) {  // EOF at the start of a line
          lines_.pop_front();
          Wake();
          return size_t{0};
        }
        auto n = Drain(line, line.size(), dst, 0);
        if (line.empty()) lines_.pop_front();
        Wake();
        return n;
      }
      if (opts.nonblock) return Errno{EAGAIN};
    } else {
      const size_t vmin = termios_.c_cc[kVMIN];
      const size_t vtime = termios_.c_cc[kVTIME];
      if (!raw_.empty()) {
        auto n = Drain(raw_, raw_.size(), dst, done);
        Wake();
        if (!n.ok()) return done ? ErrnoOr<size_t>(done) : n.error();
        done += *n;
      }
      const size_t need = std::min(vmin, dst.size());
      if (done >= need && (done > 0 || vtime == 0)) return done;
      if (done == dst.size()) return done;
      if (opts.nonblock) return done ? ErrnoOr<size_t>(done) : Errno{EAGAIN};
      if (vtime > 0 && (vmin == 0 || done > 0)) {
        if (timed && raw_.empty()) return done;  // the timer expired
        if (opts.waiter && opts.waiter->interrupted()) {
          return done ? ErrnoOr<size_t>(done) : Errno{EINTR};
        }
        // Linux: with VMIN > 0 the timer restarts at each byte.
        timed = cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100 * vtime));
        continue;
      }
    }
    if (opts.waiter && opts.waiter->interrupted()) {
      return done ? ErrnoOr<size_t>(done) : Errno{EINTR};
    }
    cv_.Wait(&mu_);
  }
}

ErrnoOr<size_t> Pty::ReplicaWrite(vfs::IoSrc& src, const vfs::IoOptions& opts) {
  if (termios().c_lflag & kTOSTOP) {
    RETURN_IF_ERRNO(CheckBackground(CurrentCaller(), SIGTTOU));
  }
  const size_t total = src.size();
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  if (!master_open_) return Errno{EIO};
  size_t done = 0;
  while (done < total) {
    if (!master_open_) return done ? ErrnoOr<size_t>(done) : Errno{EIO};
    if (out_.size() >= kQueueCapacity) {
      if (done > 0) return done;
      if (opts.nonblock) return Errno{EAGAIN};
      if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
      cv_.Wait(&mu_);
      continue;
    }
    std::byte buf[256];
    size_t want =
        std::min({kQueueCapacity - out_.size(), total - done, sizeof(buf)});
    auto c = src.CopyIn(done, std::span<std::byte>(buf, want));
    if (!c.ok() || *c == 0) return done ? ErrnoOr<size_t>(done) : Errno{EFAULT};
    for (size_t i = 0; i < *c; ++i) Output(static_cast<uint8_t>(buf[i]));
    done += *c;
    Wake();
    if (*c < want) break;
  }
  return done;
}

uint32_t Pty::ReplicaReadiness(uint32_t mask) {
  absl::MutexLock l(&mu_);
  uint32_t r = 0;
  if (!master_open_) {
    r = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
  } else {
    size_t amt = 1;
    if (!canonical() && termios_.c_cc[kVTIME] == 0 && termios_.c_cc[kVMIN]) {
      amt = termios_.c_cc[kVMIN];
    }
    if (canonical() ? !lines_.empty() : raw_.size() >= amt) {
      r |= POLLIN | POLLRDNORM;
    }
    if (out_.size() < kQueueCapacity) r |= POLLOUT | POLLWRNORM;
  }
  return r & (mask | POLLHUP | POLLERR);
}

// --- ioctl -----------------------------------------------------------------

ErrnoOr<int64_t> Pty::Ioctl(bool master, uint32_t cmd, uint64_t arg,
                            TtyCaller& caller) {
  {
    absl::MutexLock l(&mu_);
    // Linux: a hung-up replica's file answers every ioctl with EIO.
    if (!master && !master_open_) return Errno{EIO};
  }
  switch (cmd) {
    case kTCSETS:
    case kTCSETSW:
    case kTCSETSF:
    case kTCSETS2:
    case kTCSETSW2:
    case kTCSETSF2:
    case kTCFLSH:
    case kTCXONC:
    case kTCSBRK:
    case kTCSBRKP:
    case kTIOCSPGRP:
      // Linux's tty_check_change: SIGTTOU for a background group
      // (tiocspgrp turns EIO into ENOTTY).
      if (!master) {
        ErrnoStatus s = CheckBackground(&caller, SIGTTOU);
        if (!s.ok()) {
          if (cmd == kTIOCSPGRP && s.error() == Errno{EIO}) {
            return Errno{ENOTTY};
          }
          return s.error();
        }
      }
      break;
    default:
      break;
  }
  switch (cmd) {
    case kTCGETS: {
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, termios()));
      return int64_t{0};
    }
    case kTCGETS2: {
      KernelTermios2 t2;
      {
        absl::MutexLock l(&mu_);
        t2 = {termios_, ispeed_, ospeed_};
      }
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, t2));
      return int64_t{0};
    }
    case kTCSETS:
    case kTCSETSW:
    case kTCSETSF: {
      ASSIGN_OR_RETURN_ERRNO(KernelTermios t,
                             CopyInValue<KernelTermios>(caller, arg));
      absl::MutexLock l(&mu_);
      // A pty drains at once (its "wire" is the master's queue), so TCSETSW
      // does not wait, as Linux.
      if (cmd == kTCSETSF) FlushInput();
      SetTermios(t);
      return int64_t{0};
    }
    case kTCSETS2:
    case kTCSETSW2:
    case kTCSETSF2: {
      ASSIGN_OR_RETURN_ERRNO(KernelTermios2 t2,
                             CopyInValue<KernelTermios2>(caller, arg));
      absl::MutexLock l(&mu_);
      if (cmd == kTCSETSF2) FlushInput();
      SetTermios(t2.t);
      ispeed_ = t2.c_ispeed;
      ospeed_ = t2.c_ospeed;
      return int64_t{0};
    }
    case kTIOCGWINSZ: {
      Winsize ws = winsize();
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, ws));
      return int64_t{0};
    }
    case kTIOCSWINSZ: {
      ASSIGN_OR_RETURN_ERRNO(Winsize ws, CopyInValue<Winsize>(caller, arg));
      Signals sigs;
      {
        absl::MutexLock l(&mu_);
        if (!(ws == winsize_) && pgid_ > 0) sigs.emplace_back(pgid_, SIGWINCH);
        winsize_ = ws;
      }
      Deliver(sigs);
      return int64_t{0};
    }
    case kFIONREAD: {
      int32_t n;
      {
        absl::MutexLock l(&mu_);
        n = static_cast<int32_t>(master ? out_.size() : ReadableInput());
      }
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, n));
      return int64_t{0};
    }
    case kTIOCOUTQ: {
      // Linux's pty has no driver output buffer: always 0.
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, int32_t{0}));
      return int64_t{0};
    }
    case kTCFLSH: {
      const int what = static_cast<int>(arg);
      if (what < kTCIFLUSH || what > kTCIOFLUSH) return Errno{EINVAL};
      absl::MutexLock l(&mu_);
      // Each side's input is what it reads: the master reads out_.
      bool in = what != kTCOFLUSH, out = what != kTCIFLUSH;
      if (master) std::swap(in, out);
      if (in) FlushInput();
      if (out) out_.clear();
      Wake();
      return int64_t{0};
    }
    case kTCSBRK:
    case kTCSBRKP:
    case kTIOCSBRK:
    case kTIOCCBRK:
      // tcdrain (TCSBRK 1) and breaks: a pty drains at once, has no line.
      return int64_t{0};
    case kTCXONC:
      // Flow control is not implemented: accepted, no effect.
      if (arg > static_cast<uint64_t>(kTCION)) return Errno{EINVAL};
      return int64_t{0};
    case kTIOCGETD: {
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, int32_t{0}));  // N_TTY
      return int64_t{0};
    }
    case kTIOCSETD: {
      ASSIGN_OR_RETURN_ERRNO(int32_t ld, CopyInValue<int32_t>(caller, arg));
      return ld == 0 ? ErrnoOr<int64_t>(int64_t{0}) : Errno{EINVAL};
    }
    case kTIOCSTI: {
      // Linux: only on one's controlling terminal without CAP_SYS_ADMIN.
      if (!caller.HasCapSysAdmin() && caller.ControllingTty().get() != this) {
        return Errno{EPERM};
      }
      ASSIGN_OR_RETURN_ERRNO(uint8_t c, CopyInValue<uint8_t>(caller, arg));
      Signals sigs;
      {
        absl::MutexLock l(&mu_);
        if (master) {
          out_.push_back(static_cast<char>(c));  // what the master reads
        } else {
          ReceiveByte(c, &sigs);
        }
        Wake();
      }
      Deliver(sigs);
      return int64_t{0};
    }
    case kTIOCPKT:
    case kTIOCGPKT: {
      if (!master) return Errno{ENOTTY};
      if (cmd == kTIOCGPKT) {
        int32_t v;
        {
          absl::MutexLock l(&mu_);
          v = packet_ ? 1 : 0;
        }
        RETURN_IF_ERRNO(CopyOutValue(caller, arg, v));
        return int64_t{0};
      }
      ASSIGN_OR_RETURN_ERRNO(int32_t on, CopyInValue<int32_t>(caller, arg));
      absl::MutexLock l(&mu_);
      packet_ = on != 0;
      return int64_t{0};
    }
    case kTIOCEXCL:
    case kTIOCNXCL: {
      absl::MutexLock l(&mu_);
      exclusive_ = cmd == kTIOCEXCL;
      return int64_t{0};
    }
    case kTIOCGEXCL: {
      int32_t v;
      {
        absl::MutexLock l(&mu_);
        v = exclusive_ ? 1 : 0;
      }
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, v));
      return int64_t{0};
    }
    case kTIOCGPTN:
    case kTIOCSPTLCK:
    case kTIOCGPTLCK: {
      if (!master) return Errno{ENOTTY};
      if (cmd == kTIOCGPTN) {
        RETURN_IF_ERRNO(CopyOutValue(caller, arg, index_));
      } else if (cmd == kTIOCGPTLCK) {
        RETURN_IF_ERRNO(CopyOutValue(caller, arg, int32_t{locked() ? 1 : 0}));
      } else {
        ASSIGN_OR_RETURN_ERRNO(int32_t v, CopyInValue<int32_t>(caller, arg));
        absl::MutexLock l(&mu_);
        locked_ = v != 0;
      }
      return int64_t{0};
    }
    default:
      return JobIoctl(master, cmd, arg, caller);
  }
}

// Job control (TIOCSCTTY, TIOCNOTTY, TIOC[GS]PGRP, TIOCGSID). Calls the
// caller's hooks without mu_.
ErrnoOr<int64_t> Pty::JobIoctl(bool master, uint32_t cmd, uint64_t arg,
                               TtyCaller& caller) {
  const bool is_ctty = caller.ControllingTty().get() == this;
  switch (cmd) {
    case kTIOCSCTTY: {
      const int32_t sid = caller.Sid();
      const bool leader = caller.Pid() == sid;
      const bool has_ctty = caller.ControllingTty() != nullptr;
      const bool cap = caller.HasCapSysAdmin();
      const int32_t pgid = caller.Pgid();
      int32_t old_sid;
      {
        absl::MutexLock l(&mu_);
        if (leader && sid_ == sid) return int64_t{0};
        if (!leader || has_ctty) return Errno{EPERM};
        old_sid = sid_;
        if (old_sid != 0 && !(arg == 1 && cap)) {
          return Errno{EPERM};
        }
        sid_ = sid;
        pgid_ = pgid;
      }
      if (old_sid != 0) caller.DetachSession(old_sid, *this);
      caller.SetControllingTty(shared_from_this());
      return int64_t{0};
    }
    case kTIOCNOTTY: {
      if (!is_ctty) return Errno{ENOTTY};
      const int32_t sid = caller.Sid();
      if (caller.Pid() != sid) {
        caller.SetControllingTty(nullptr);
        return int64_t{0};
      }
      Signals sigs;
      {
        absl::MutexLock l(&mu_);
        if (pgid_ > 0) {
          sigs.emplace_back(pgid_, SIGHUP);
          sigs.emplace_back(pgid_, SIGCONT);
        }
        sid_ = 0;
        pgid_ = 0;
      }
      caller.DetachSession(sid, *this);
      Deliver(sigs);
      return int64_t{0};
    }
    case kTIOCGPGRP:
    case kTIOCGSID: {
      // On the replica the caller must have it as controlling terminal.
      if (!master && !is_ctty) return Errno{ENOTTY};
      int32_t v;
      {
        absl::MutexLock l(&mu_);
        if (cmd == kTIOCGSID && sid_ == 0) return Errno{ENOTTY};
        v = cmd == kTIOCGSID ? sid_ : pgid_;
      }
      RETURN_IF_ERRNO(CopyOutValue(caller, arg, v));
      return int64_t{0};
    }
    case kTIOCSPGRP: {
      ASSIGN_OR_RETURN_ERRNO(int32_t pgid, CopyInValue<int32_t>(caller, arg));
      int32_t sid = session();
      if (!is_ctty || sid != caller.Sid()) return Errno{ENOTTY};
      if (pgid < 0) return Errno{EINVAL};
      if (!caller.ProcessGroupInSession(pgid, sid)) {
        return Errno{caller.ProcessGroupExists(pgid) ? EPERM : ESRCH};
      }
      absl::MutexLock l(&mu_);
      pgid_ = pgid;
      return int64_t{0};
    }
    default:
      return Errno{ENOTTY};
  }
}

KernelTermios Pty::termios() {
  absl::MutexLock l(&mu_);
  return termios_;
}
Winsize Pty::winsize() {
  absl::MutexLock l(&mu_);
  return winsize_;
}
bool Pty::locked() {
  absl::MutexLock l(&mu_);
  return locked_;
}
int32_t Pty::session() {
  absl::MutexLock l(&mu_);
  return sid_;
}
int32_t Pty::foreground_pgid() {
  absl::MutexLock l(&mu_);
  return pgid_;
}
void Pty::ClearSession(int32_t sid) {
  absl::MutexLock l(&mu_);
  if (sid_ != sid) return;
  sid_ = 0;
  pgid_ = 0;
}

// --- TtyFile ---------------------------------------------------------------

TtyFile::~TtyFile() {
  if (master_) {
    pty_->MasterClosed();
  } else {
    pty_->ReplicaClosed();
  }
  if (on_close_) on_close_();
}

ErrnoOr<std::unique_ptr<TtyFile>> TtyFile::OpenPeer(int flags,
                                                    TtyCaller* caller) {
  if (!master_) return Errno{ENOTTY};
  RETURN_IF_ERRNO(pty_->OpenReplica(flags, caller));
  return std::make_unique<TtyFile>(pty_, /*master=*/false);
}

ErrnoOr<size_t> TtyFile::Read(vfs::IoDst& dst, int64_t,
                              const vfs::IoOptions& opts) {
  return master_ ? pty_->MasterRead(dst, opts) : pty_->ReplicaRead(dst, opts);
}

ErrnoOr<size_t> TtyFile::Write(vfs::IoSrc& src, int64_t offset,
                               const vfs::IoOptions& opts, int64_t* end) {
  *end = offset;
  return master_ ? pty_->MasterWrite(src, opts) : pty_->ReplicaWrite(src, opts);
}

uint32_t TtyFile::Readiness(uint32_t mask) {
  return master_ ? pty_->MasterReadiness(mask) : pty_->ReplicaReadiness(mask);
}

}  // namespace sentry::fs::devpts
