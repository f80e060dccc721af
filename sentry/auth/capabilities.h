// Capability names as OCI specs spell them ("CAP_SYS_ADMIN") and the
// capability transformation of execve for files without file capabilities
// or set-id bits (the only kind the sentry runs).
#ifndef SENTRY_AUTH_CAPABILITIES_H_
#define SENTRY_AUTH_CAPABILITIES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "sentry/auth/credentials.h"

namespace sentry::auth {

// CAP_* number for `name`, or -1 when this kernel does not know it.
int CapabilityByName(absl::string_view name);

// "CAP_CHOWN" for 0, ...; "" for an unknown number.
std::string CapabilityName(int cap);

// Linux's cap_bprm_creds_from_file without file capabilities and without
// securebits: a task whose real or effective uid is 0 gets
// permitted = inheritable | bounding (| ambient) and, when the effective uid
// is 0, effective = permitted; any other task keeps only its ambient set
// (permitted = effective = ambient). The ambient set survives.
Credentials ExecCredentials(const Credentials& c);

}  // namespace sentry::auth

#endif  // SENTRY_AUTH_CAPABILITIES_H_
