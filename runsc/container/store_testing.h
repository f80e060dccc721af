// Test-only hooks into the store. Not for production callers.
#ifndef RUNSC_CONTAINER_STORE_TESTING_H_
#define RUNSC_CONTAINER_STORE_TESTING_H_

namespace runsc::container::testing_internal {

// After this call, the next meta.json write in this process calls
// _exit(exit_status) once the temporary file is written and fsync'd but
// before it is renamed over meta.json: a crash at the worst moment. Use it
// in a forked child only.
void CrashBeforeRenameForTest(int exit_status);

}  // namespace runsc::container::testing_internal

#endif  // RUNSC_CONTAINER_STORE_TESTING_H_
