// What /proc says about a process. A PID alone may be reused; a PID with its
// start time names one process for as long as the machine runs.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace skiff {

/// The start time of process `pid` in clock ticks since boot (field 22 of
/// /proc/PID/stat), or 0 when there is no such process (or it is a zombie
/// already reaped by nobody: still listed, so still reported).
uint64_t process_start_time(pid_t pid);

}  // namespace skiff
