// sysfs, minimal: what common programs probe.
//   /sys/devices/system/cpu/{online,possible,present} ("0-N")
//   /sys/kernel/ (with mm/transparent_hugepage/enabled = "never"),
//   /sys/fs/cgroup/ (empty: no cgroupfs inside the sandbox yet),
//   /sys/class, /sys/block, /sys/bus, /sys/dev, /sys/firmware (empty).
// Read-only: every change is EPERM (files open read-only only).
#ifndef SENTRY_FS_SYSFS_SYSFS_H_
#define SENTRY_FS_SYSFS_SYSFS_H_

#include <memory>

#include "sentry/vfs/vfs.h"

namespace sentry::fs::sysfs {

inline constexpr uint64_t kSysfsMagic = 0x62656572;

std::shared_ptr<vfs::Filesystem> NewSysfs(int num_cpus);
// Registers type "sysfs".
void RegisterSysfs(vfs::VirtualFilesystem& vfs, int num_cpus);

}  // namespace sentry::fs::sysfs

#endif  // SENTRY_FS_SYSFS_SYSFS_H_
