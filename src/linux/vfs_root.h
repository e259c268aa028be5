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

/// Copies the tree open at `src_dir` into the directory `dst_dir`, keeping
/// what ensure_vfs_root keeps (hard links within the tree too), then gives
/// `dst_dir` the owner, mode, xattrs and times of `src_dir`. Nothing is
/// followed: a symlink in the tree is copied as a symlink.
Status copy_tree_into(int src_dir, int dst_dir);

}  // namespace skiff
