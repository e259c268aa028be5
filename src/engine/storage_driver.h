// Which root file system driver containers get (DESIGN.md, "Root
// filesystem"): native overlayfs in the user namespace, fuse-overlayfs, or a
// copying vfs driver. Chosen once per store by trying them in that order,
// recorded in <root>/storage-driver, and overridden by --storage-driver or
// SKIFF_STORAGE_DRIVER.
#pragma once

#include <string>

#include "base/error.h"
#include "image/store.h"
#include "linux/container_plan.h"

namespace skiff {

/// `requested` ("" to choose) checked, or the store's recorded choice, or the
/// first driver that works here (then recorded). Errors say why none works.
Result<RootfsDriver> choose_storage_driver(const Store& store, const std::string& requested);

}  // namespace skiff
