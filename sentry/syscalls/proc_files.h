// The file layer's answers for procfs (kernel::TaskFilesView): the
// descriptors, cwd, root and mounts of a task, as /proc/<pid>/{fd, fdinfo,
// cwd, root, mounts} show them.
#ifndef SENTRY_SYSCALLS_PROC_FILES_H_
#define SENTRY_SYSCALLS_PROC_FILES_H_

#include <memory>

#include "sentry/kernel/proc_provider.h"

namespace sentry::syscalls {

std::shared_ptr<kernel::TaskFilesView> NewTaskFilesView();

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_PROC_FILES_H_
