// Store-wide maintenance: `skiff system reset`.
#pragma once

#include "base/error.h"
#include "image/store.h"

namespace skiff {

/// Removes every image, layer, container and volume and the runtime folder:
/// the store as if skiff had never run. Files owned by mapped IDs are
/// removed from inside the user namespace.
Status reset_store(const Store& store);

}  // namespace skiff
