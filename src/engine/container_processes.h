// Which host processes belong to a running container, for `top` and
// `stats`: its init and every descendant (orphans in the container are
// reparented to the init, so this is its whole PID namespace), plus the
// processes `exec` put in that namespace, which are children of a host
// process, and their descendants. Subordinate uids' processes are found
// like any other: /proc/PID/stat is readable by everyone, and the user owns
// the user namespace that gives /proc/PID/ns/pid.
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/error.h"
#include "engine/containers.h"
#include "linux/proc_table.h"

namespace skiff {

/// The container's processes: indexes into `table` of the init, of every
/// process whose PID namespace is `init_namespace` (0: none is matched that
/// way), and of all their descendants, in `table`'s order. Empty when
/// `init` is not in `table`.
std::vector<size_t> select_container_processes(const std::vector<ProcessNode>& table, pid_t init,
                                               uint64_t init_namespace);

/// The processes of a running container, in PID order; `init` is its first
/// process. "container X is not running" when it doesn't run (its init's
/// start time is checked before and after the table is read, so a
/// recycled PID never lends its processes).
struct ContainerProcesses {
  pid_t init = 0;
  std::vector<ProcessNode> processes;
};
Result<ContainerProcesses> list_container_processes(const Container& container);

}  // namespace skiff
