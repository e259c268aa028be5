// skiff stats: docker's resource use columns for containers, computed from
// /proc rather than from cgroups (skiff puts containers in no cgroup of
// their own, and many hosts delegate none to their users). A container's
// use is the sum over its processes (engine/container_processes.h):
//   CPU        utime+stime of each process and of the children it waited
//              for, whose time moves into the parent's when they end: a
//              counter that, like the cgroup's, keeps what ended processes used
//   memory     proportional set size (shared pages split among their users),
//              or resident set size where smaps_rollup can't be read; the
//              limit is the host's MemTotal
//   net I/O    the container's interfaces but lo (/proc/INIT/net/dev); none
//              for --network host, as docker
//   block I/O  read_bytes / write_bytes of /proc/PID/io where readable
//   PIDs       threads, as the cgroup's pids.current counts them
#pragma once

#include <cstdint>
#include <string>

#include "base/json.h"
#include "engine/containers.h"

namespace skiff {

/// One reading of a container's counters.
struct StatsReading {
  std::string id;
  std::string name;
  bool running = false;
  double time = 0;         ///< when it was read: monotonic seconds
  uint64_t cpu_ticks = 0;  ///< see above; clock ticks
  uint64_t memory = 0;     ///< bytes
  uint64_t net_received = 0;
  uint64_t net_sent = 0;
  uint64_t block_read = 0;
  uint64_t block_written = 0;
  uint64_t pids = 0;
};

/// Reads `container`'s counters now (all zero when it doesn't run).
StatsReading read_container_stats(const Container& container);

/// docker's stats row (every field a string): Container (`shown_as`, what
/// the user named it by), ID (12 characters unless `no_trunc`), Name,
/// CPUPerc over the time between `before` and `now` ("0.00%" for a first
/// reading or a stopped container), MemUsage ("1.5MiB / 7.6GiB": the
/// limit is `memory_limit`), MemPerc, NetIO, BlockIO, PIDs.
Json stats_row(const StatsReading& before, const StatsReading& now, uint64_t memory_limit,
               const std::string& shown_as, bool no_trunc, long ticks_per_second);

}  // namespace skiff
