// What `skiff info` reports: the host's kernel, which root filesystem
// driver works for this user, ID mapping, cgroups, networking, and the store.
#pragma once

#include "base/json.h"
#include "image/store.h"

namespace skiff {

/// Gathers every fact; probes that fail are reported as values, never as errors.
Json gather_info(const Store& store);

}  // namespace skiff
