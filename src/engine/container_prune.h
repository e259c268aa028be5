// skiff container prune: removes every container that doesn't run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

struct ContainerPruneOutcome {
  std::vector<std::string> deleted;  ///< full IDs, in the order removed
  uint64_t reclaimed = 0;            ///< disk space their upper folders took
};

/// Removes the created and exited containers that match `filters`
/// (until=TIME: created before it; label=, label!=), as docker container
/// prune; running, paused and restarting ones stay. A bad filter fails
/// before anything is removed; then `confirm` is asked, and when it says
/// no, "container prune has been cancelled". A container that can't be
/// removed is reported as a warning and the others still go.
Result<ContainerPruneOutcome> prune_containers(const Store& store, const std::vector<std::string>& filters,
                                               const std::function<Result<bool>()>& confirm);

}  // namespace skiff
