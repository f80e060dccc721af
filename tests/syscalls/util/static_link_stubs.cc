// Keeps the static link of the syscall tests free of glibc's NSS warning.
//
// gtest's streaming listener (--gtest_stream_result_to, never used here)
// references getaddrinfo; in a static glibc link that pulls in NSS code and
// the warning "Using 'getaddrinfo' in statically linked applications
// requires at run time the shared libraries...". The tests run in a busybox
// rootfs with no NSS libraries anyway, so name resolution is not available to
// them: these stubs make that explicit. Tests use numeric addresses only.
#include <netdb.h>

extern "C" {

int getaddrinfo(const char*, const char*, const struct addrinfo*,
                struct addrinfo** res) {
  if (res != nullptr) *res = nullptr;
  return EAI_FAIL;
}

void freeaddrinfo(struct addrinfo*) {}

}  // extern "C"
