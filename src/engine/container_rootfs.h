// Where a container's root file system is: its storage driver, its image's
// layers in the store, and its own folders (DESIGN.md, "Storage"). Shared by
// everything that mounts it: a start, export, and cp into a stopped container.
#pragma once

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/container_plan.h"

namespace skiff {

/// The container's RootfsSpec: the recorded driver, its image's layer
/// folders TOP first (an error names a layer missing from the store), its
/// upper and work folders, and where the root is assembled: `merged`, or
/// the vfs driver's copy `rootfs` (made on the first start).
Result<RootfsSpec> container_rootfs(const Store& store, const Container& container);

}  // namespace skiff
