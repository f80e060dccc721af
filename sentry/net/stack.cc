#include "sentry/net/stack.h"

#include "absl/strings/str_format.h"
#include "sentry/net/endpoint.h"

namespace sentry::net {

namespace {

// Whether a binding of (family, addr, v6only) receives traffic sent to dst.
bool Covers(int family, const Address& addr, bool v6only, const Address& dst) {
  if (family == AF_INET) {
    return dst.is_v4_mapped() && (addr.is_any() || addr.SameIp(dst));
  }
  if (dst.is_v4_mapped()) {
    if (v6only) return false;
    return addr.is_any() || addr.SameIp(dst);
  }
  return addr.is_any() || addr.SameIp(dst);
}

// Which address spaces a binding occupies.
void Spaces(int family, const Address& addr, bool v6only, bool* v4, bool* v6) {
  if (family == AF_INET) {
    *v4 = true;
    *v6 = false;
    return;
  }
  const bool all_zero = !addr.is_v4_mapped() && addr.is_any();
  *v4 = addr.is_v4_mapped() || (all_zero && !v6only);
  *v6 = !addr.is_v4_mapped();
}

}  // namespace

ErrnoStatus Stack::BindUnix(const Address& a,
                            const std::shared_ptr<Endpoint>& ep) {
  absl::MutexLock l(&mu_);
  if (a.unix_abstract()) {
    auto it = abstract_.find(a.unix_name);
    if (it != abstract_.end()) {
      auto cur = it->second.lock();
      if (cur && cur->alive()) return Errno{EADDRINUSE};
    }
    abstract_[a.unix_name] = ep;
    return OkErrno();
  }
  // The VFS decided EADDRINUSE when it created the node: a live entry with
  // this key belongs to a node since unlinked whose inode number the file
  // system reused, and the new node wins.
  paths_[a.key] = ep;
  return OkErrno();
}

ErrnoOr<Address> Stack::AutoBindUnix(const std::shared_ptr<Endpoint>& ep) {
  absl::MutexLock l(&mu_);
  for (int tries = 0; tries < 0x100000; ++tries) {
    const uint32_t n = next_autobind_++ & 0xfffff;
    std::string name = absl::StrFormat("%c%05x", '\0', n);
    auto it = abstract_.find(name);
    if (it != abstract_.end()) {
      auto cur = it->second.lock();
      if (cur && cur->alive()) continue;
    }
    abstract_[name] = ep;
    return UnixAddress(std::move(name));
  }
  return Errno{ENOSPC};
}

void Stack::UnbindUnix(const Address& a, const Endpoint* ep) {
  absl::MutexLock l(&mu_);
  if (a.unix_abstract()) {
    auto it = abstract_.find(a.unix_name);
    if (it == abstract_.end()) return;
    auto cur = it->second.lock();
    if (!cur || cur.get() == ep) abstract_.erase(it);
    return;
  }
  auto it = paths_.find(a.key);
  if (it == paths_.end()) return;
  auto cur = it->second.lock();
  if (!cur || cur.get() == ep) paths_.erase(it);
}

std::shared_ptr<Endpoint> Stack::FindUnix(const Address& a) {
  std::shared_ptr<Endpoint> ep;
  {
    absl::MutexLock l(&mu_);
    if (a.unix_abstract()) {
      auto it = abstract_.find(a.unix_name);
      if (it != abstract_.end()) ep = it->second.lock();
    } else if (a.unix_path()) {
      auto it = paths_.find(a.key);
      if (it != paths_.end()) ep = it->second.lock();
    }
  }
  if (ep && !ep->alive()) return nullptr;
  return ep;
}

bool Stack::ConflictsLocked(const InetBindRequest& req, uint16_t port) {
  auto it = ports_.find({req.type, port});
  if (it == ports_.end()) return false;
  bool n4, n6;
  Spaces(req.family, req.addr, req.v6only, &n4, &n6);
  for (const InetBinding& b : it->second) {
    if (b.ep.expired()) continue;
    bool b4, b6;
    Spaces(b.family, b.addr, b.v6only, &b4, &b6);
    bool overlap = false;
    if (n4 && b4) {
      // The IPv4 part of "::" is any.
      const bool n_any = req.addr.is_any();
      const bool b_any = b.addr.is_any();
      overlap = n_any || b_any || req.addr.SameIp(b.addr);
    }
    if (!overlap && n6 && b6) {
      overlap = req.addr.is_any() || b.addr.is_any() || req.addr.SameIp(b.addr);
    }
    if (!overlap) continue;
    // SO_REUSEADDR on both sides lets UDP share a port, and TCP too as long
    // as neither listens (Linux's inet_csk_bind_conflict).
    if (req.reuseaddr && b.reuseaddr &&
        (req.type == SOCK_DGRAM || !b.listening)) {
      continue;
    }
    return true;
  }
  return false;
}

ErrnoOr<Address> Stack::BindInet(const InetBindRequest& req,
                                 const std::shared_ptr<Endpoint>& ep) {
  if (!req.addr.is_any() && !req.addr.is_loopback()) {
    return Errno{EADDRNOTAVAIL};
  }
  absl::MutexLock l(&mu_);
  uint16_t port = req.addr.port;
  if (port == 0) {
    const int range = kEphemeralLast - kEphemeralFirst + 1;
    bool found = false;
    for (int i = 0; i < range; ++i) {
      uint16_t p = next_ephemeral_;
      next_ephemeral_ =
          p == kEphemeralLast ? kEphemeralFirst : static_cast<uint16_t>(p + 1);
      auto it = ports_.find({req.type, p});
      bool busy = false;
      if (it != ports_.end()) {
        for (const InetBinding& b : it->second) {
          if (!b.ep.expired()) busy = true;
        }
      }
      if (!busy) {
        port = p;
        found = true;
        break;
      }
    }
    if (!found) return Errno{EADDRINUSE};
  } else if (ConflictsLocked(req, port)) {
    return Errno{EADDRINUSE};
  }
  auto& v = ports_[{req.type, port}];
  std::erase_if(v, [](const InetBinding& b) { return b.ep.expired(); });
  InetBinding b;
  b.ep = ep;
  b.raw = ep.get();
  b.family = req.family;
  b.addr = req.addr;
  b.addr.port = port;
  b.reuseaddr = req.reuseaddr;
  b.v6only = req.v6only;
  v.push_back(b);
  return b.addr;
}

void Stack::UnbindInet(int type, uint16_t port, const Endpoint* ep) {
  absl::MutexLock l(&mu_);
  auto it = ports_.find({type, port});
  if (it == ports_.end()) return;
  std::erase_if(it->second, [ep](const InetBinding& b) {
    return b.raw == ep || b.ep.expired();
  });
  if (it->second.empty()) ports_.erase(it);
}

void Stack::SetInetListening(int type, uint16_t port, const Endpoint* ep,
                             bool on) {
  absl::MutexLock l(&mu_);
  auto it = ports_.find({type, port});
  if (it == ports_.end()) return;
  for (InetBinding& b : it->second) {
    if (b.raw == ep) b.listening = on;
  }
}

std::shared_ptr<Endpoint> Stack::FindInet(int type, const Address& dst) {
  std::shared_ptr<Endpoint> exact, wildcard;
  {
    absl::MutexLock l(&mu_);
    auto it = ports_.find({type, dst.port});
    if (it == ports_.end()) return nullptr;
    for (const InetBinding& b : it->second) {
      if (type == SOCK_STREAM && !b.listening) continue;
      if (!Covers(b.family, b.addr, b.v6only, dst)) continue;
      auto ep = b.ep.lock();
      if (!ep) continue;
      if (b.addr.is_any()) {
        if (!wildcard) wildcard = std::move(ep);
      } else if (!exact) {
        exact = std::move(ep);
      }
    }
  }
  auto r = exact ? exact : wildcard;
  if (r && !r->alive()) return nullptr;
  return r;
}

}  // namespace sentry::net
