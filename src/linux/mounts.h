// Carrying out a container's mount plan inside its new mount namespace.
// Every target is resolved inside the new root by descriptor
// (linux/path_in_root.h) and mounted on through /proc/self/fd/N, so neither
// a symlink in the image nor a race with the image's content can aim a mount
// at a host path.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "linux/container_plan.h"

namespace skiff {

/// Performs `steps` in order under the root open at `root_fd`. Call in the
/// container's child, in its user and mount namespaces, before pivot_root.
/// A failing optional step is skipped; any other failure names the step.
Status perform_mount_steps(int root_fd, const std::vector<MountStep>& steps);

/// Makes the mount at `path_fd` read-only, keeping the flags the kernel
/// locks in a user namespace (nosuid, nodev, noexec, atime), which a
/// remount must repeat.
Status remount_read_only(int path_fd);

}  // namespace skiff

namespace skiff {

/// Runs fuse-overlayfs `program` with `-o options` on `merged` and waits
/// for it to mount; its daemon stays, serving the mount, holding nothing of
/// ours but `null_fd` (/dev/null) as its stdio.
Status run_fuse_overlayfs(const std::string& program, const std::string& options, const std::string& merged,
                          int null_fd);

}  // namespace skiff
