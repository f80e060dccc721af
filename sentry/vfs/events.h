// Readiness notification: how poll, select and epoll learn that a file
// became readable or writable (Linux's wait_queue_head + poll table,
// gVisor's waiter.Queue).
//
// A file that can change readiness on its own (pipe, socket, eventfd, tty)
// owns an EventQueue and returns it from FileImpl::Events(); files that are
// always ready (regular files, /dev/null) return nullptr. Whoever waits
// registers an EventListener with the events it cares about, then re-checks
// FileImpl::Readiness (so a change between the check and the registration is
// not lost), then sleeps until a listener fires. Producers call Notify after
// changing state, with the events that may have become ready.
//
// Lock order: the file's own lock may be held while calling Notify;
// EventQueue::mu_ is taken inside it, and listeners run under mu_: they must
// only record the event and wake someone (take leaf locks), never call back
// into a file or the queue.
#ifndef SENTRY_VFS_EVENTS_H_
#define SENTRY_VFS_EVENTS_H_

#include <poll.h>

#include <cstdint>
#include <list>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sentry::vfs {

// POLLHUP and POLLERR are always reported, whatever the requested mask.
inline constexpr uint32_t kAlwaysEvents = POLLHUP | POLLERR;

class EventListener {
 public:
  virtual ~EventListener() = default;
  // `events` that may now be ready (a subset of the registered mask, plus
  // kAlwaysEvents). Runs under the queue's lock: record and wake only.
  virtual void OnEvents(uint32_t events) = 0;
};

class EventQueue {
 public:
  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Registers `l` for `mask`; a listener is registered at most once (a
  // second Add updates its mask).
  void Add(EventListener* l, uint32_t mask);
  void Remove(EventListener* l);
  // Calls every listener whose mask intersects `events` (POLLHUP/POLLERR
  // reach everyone).
  void Notify(uint32_t events);
  bool empty();

 private:
  struct Entry {
    EventListener* listener;
    uint32_t mask;
  };
  absl::Mutex mu_;
  std::list<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// RAII registration for the duration of a wait. A null queue is allowed
// (the file is always ready) and registers nothing.
class EventRegistration {
 public:
  EventRegistration() = default;
  EventRegistration(EventQueue* q, EventListener* l, uint32_t mask)
      : q_(q), l_(l) {
    if (q_) q_->Add(l_, mask);
  }
  ~EventRegistration() { Reset(); }
  EventRegistration(EventRegistration&& o) noexcept : q_(o.q_), l_(o.l_) {
    o.q_ = nullptr;
  }
  EventRegistration& operator=(EventRegistration&& o) noexcept {
    if (this != &o) {
      Reset();
      q_ = o.q_;
      l_ = o.l_;
      o.q_ = nullptr;
    }
    return *this;
  }
  void Reset() {
    if (q_) q_->Remove(l_);
    q_ = nullptr;
  }

 private:
  EventQueue* q_ = nullptr;
  EventListener* l_ = nullptr;
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_EVENTS_H_
