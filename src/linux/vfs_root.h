// The vfs storage driver's root: a full copy of an image's layers, for hosts
// where neither native overlayfs nor fuse-overlayfs works (DESIGN.md, "Root
// filesystem"). Slow to make, but needs nothing from the kernel beyond a
// user namespace.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace skiff {

/// Makes `dest` (if it doesn't exist yet) a copy of the layers at
/// `lower_dirs` (TOP first, overlay's order), applied bottom up: a 0/0
/// character device deletes the path below it, a directory marked opaque
/// (user.overlay.opaque) hides everything below it. Owners, modes, times,
/// xattrs (not overlay's own), symlinks, fifos and hard links within a layer
/// are kept; nothing is followed. Run as root of the container's user
/// namespace, where the layers' owners are mapped. The copy is built at
/// `dest`.tmp and renamed, so a killed copy is redone, never used.
Status ensure_vfs_root(const std::vector<std::string>& lower_dirs, const std::string& dest);

}  // namespace skiff
