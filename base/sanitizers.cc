#include "base/sanitizers.h"

#include <atomic>

namespace base {
namespace {

std::atomic<bool> g_leak_check_off{false};

}  // namespace

void PrepareSanitizerForSandbox() { g_leak_check_off.store(true); }

}  // namespace base

#ifdef RUNSC_SANITIZED
// LeakSanitizer's hook: asked at exit whether to check for leaks.
extern "C" int __lsan_is_turned_off() {  // NOLINT(bugprone-reserved-identifier)
  return base::g_leak_check_off.load() ? 1 : 0;
}
#endif
