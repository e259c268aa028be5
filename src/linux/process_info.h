// What /proc says about a process. A PID alone may be reused; a PID with its
// start time names one process for as long as the machine runs.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// The start time of process `pid` in clock ticks since boot (field 22 of
/// /proc/PID/stat), or 0 when there is no such process (or it is a zombie
/// already reaped by nobody: still listed, so still reported).
uint64_t process_start_time(pid_t pid);

/// A pidfd for `pid` if it is still the process that started at
/// `start_time` (checked after the pidfd is open, so the pidfd can't refer
/// to a later process with the same PID); ESRCH otherwise.
Result<UniqueFd> open_process(pid_t pid, uint64_t start_time);

/// Sends `signal` through a pidfd.
Status send_signal(int pidfd, int signal);

}  // namespace skiff
