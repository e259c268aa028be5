// Entering a running container: its init's namespaces, joined through a
// pidfd (`skiff exec`, `skiff cp` into or out of a running container).
//
// The init is named by its PID and its start time (linux/process_info.h): a
// pidfd is opened first and the start time checked after, so the descriptor
// names the container's init and never a process that got its PID later;
// every later step goes through the descriptor.
//
// The joining is done by a single-threaded forked child, made undumpable
// before its first setns: once in the container's user namespace, the
// container's root has the same uid, and could otherwise ptrace it or read
// its /proc files (its descriptors lead to host files). The child then forks
// again, since joining a PID namespace only moves a process's children; the
// second child is made with CLONE_PARENT, so it is the caller's child, which
// waits for it and reaps it like any other.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "linux/child_process.h"

namespace skiff {

/// The namespaces (CLONE_NEWUSER, CLONE_NEWNS, ...) of the process at
/// `pidfd` that are not ours: those a joining process must enter. ESRCH when
/// the process has ended.
Result<unsigned long> namespaces_to_join(int pidfd, pid_t pid);

/// The container's own cgroup (linux/cgroup.h), for a process joining it.
struct CgroupToJoin {
  std::string path;       ///< its host folder; "" for none
  bool required = false;  ///< it has limits: failing to enter it is an error
};

/// Runs `body` in a process inside the namespaces `flags` of the process
/// at `pidfd`: `cgroup` first, then user, mount, PID, UTS, IPC, network, cgroup. With
/// the mount namespace joined, `/` and the working directory are the
/// container's root. The process is the caller's child (kill it, wait for
/// it); `body`'s return value is its exit code, and an exception in it exit
/// code 125. An error joining (ESRCH: the process ended) is returned. Call
/// from a single-threaded process.
Result<ChildProcess> spawn_in_namespaces(int pidfd, unsigned long flags, const std::function<int()>& body,
                                         const CgroupToJoin& cgroup = {});

/// Moves this process for good into the user and network namespaces of
/// the process at `pidfd` (another container's init), so that a container
/// it clones next shares that network (--network container:NAME). Made
/// undumpable first, as the joining child above. Call from a
/// single-threaded process that will clone only that container.
Status join_network_namespace(int pidfd, pid_t pid);

}  // namespace skiff
