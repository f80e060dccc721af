// Linux capability names as OCI specs spell them, indexed by capability
// number (linux/capability.h): one table for the front end (spec validation,
// `runsc features`) and the sentry (applying process.capabilities).
#ifndef BASE_CAPABILITY_NAMES_H_
#define BASE_CAPABILITY_NAMES_H_

#include <span>

namespace base {

// "CAP_CHOWN" (0) ... "CAP_CHECKPOINT_RESTORE" (40).
std::span<const char* const> CapabilityNames();

}  // namespace base

#endif  // BASE_CAPABILITY_NAMES_H_
