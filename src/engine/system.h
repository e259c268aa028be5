// Store-wide maintenance: `skiff system reset`.
#pragma once

#include "base/error.h"
#include "image/store.h"

namespace skiff {

/// Removes every image, layer, container and volume and skiff's runtime files:
/// the store as if skiff had never run. Files owned by mapped IDs are
/// removed from inside the user namespace. Only skiff's own entries are
/// touched: the folders themselves go only when nothing else is in them.
Status reset_store(const Store& store);

}  // namespace skiff
