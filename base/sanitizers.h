// Whether this binary was built with a sanitizer runtime (make asan). Those
// runtimes make system calls of their own (pipe2 to probe memory,
// sigaltstack for each new thread, prctl and ptrace for the leak check at
// exit, /proc reads to report), which the sandbox's seccomp filters rightly
// refuse. So that the end-to-end tests can run under ASan, sanitized builds
// allow the first two in the gofer's filter, and processes that run under a
// filter prepare the sanitizer first (PrepareSanitizerForSandbox). Release
// builds change nothing.
#ifndef BASE_SANITIZERS_H_
#define BASE_SANITIZERS_H_

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RUNSC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RUNSC_SANITIZED 1
#endif
#endif

namespace base {

#ifdef RUNSC_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// Called by a process about to install a seccomp filter: turns
// LeakSanitizer's check at exit off (it stops the world with ptrace, which
// the filter refuses). No-op unless sanitized.
//
// A sanitizer report from a filtered process stops after its first lines:
// printing the stack opens /proc/self/maps, which the filter kills. To read
// one, let the sentry's filter allow open/openat/readlink in a local build
// and run with ASAN_OPTIONS=symbolize=0 (then addr2line the offsets).
void PrepareSanitizerForSandbox();

}  // namespace base

#endif  // BASE_SANITIZERS_H_
