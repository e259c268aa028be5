// skiff pause / unpause: the cgroup v2 freezer (cgroup.freeze), and nothing
// else. A container is frozen only when its init's cgroup is one the user
// may write (delegated) and holds nothing but the container's processes:
// freezing a cgroup shared with the user's shell would stop the shell. A
// container started from a delegated cgroup has one of its own
// (linux/cgroup.h). On a host without that (cgroup v1, no delegation)
// pausing fails with why and how to enable it; it is never emulated with
// SIGSTOP, which a container's processes could see and undo.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/probe.h"

namespace skiff {

/// What decides whether a container's cgroup may be frozen.
struct FreezerFacts {
  CgroupLayout layout = CgroupLayout::kNone;  ///< of the host
  std::string cgroup;                         ///< the init's v2 cgroup ("/" is the root), "" when none
  bool freeze_file = false;                   ///< <cgroup>/cgroup.freeze exists
  bool freeze_writable = false;               ///< and this user may write it
  std::vector<pid_t> cgroup_processes;        ///< every process in the cgroup and below it
  std::vector<pid_t> container_processes;
};

/// "" when the freezer may stop the container; else why not, and how to
/// get a delegated cgroup v2 subtree.
std::string freezer_obstacle(const FreezerFacts& facts, uid_t uid);

/// docker pause: freezes a running container and records "paused".
/// "container X is not running", "Container X is already paused".
Status pause_container(const Store& store, const Container& container);

/// docker unpause: thaws a paused container and records "running".
/// "Container X is not paused".
Status unpause_container(const Store& store, const Container& container);

}  // namespace skiff
