#include "sentry/vfs/events.h"

namespace sentry::vfs {

void EventQueue::Add(EventListener* l, uint32_t mask) {
  absl::MutexLock lock(&mu_);
  for (Entry& e : entries_) {
    if (e.listener == l) {
      e.mask = mask;
      return;
    }
  }
  entries_.push_back(Entry{l, mask});
}

void EventQueue::Remove(EventListener* l) {
  absl::MutexLock lock(&mu_);
  entries_.remove_if([l](const Entry& e) { return e.listener == l; });
}

void EventQueue::Notify(uint32_t events) {
  absl::MutexLock lock(&mu_);
  for (Entry& e : entries_) {
    uint32_t hit = events & (e.mask | kAlwaysEvents);
    if (hit) e.listener->OnEvents(hit);
  }
}

bool EventQueue::empty() {
  absl::MutexLock lock(&mu_);
  return entries_.empty();
}

}  // namespace sentry::vfs
