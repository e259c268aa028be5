// --memory, --memory-swap, --cpus, --cpu-shares and --pids-limit of
// run/create: parsed as docker parses them, recorded in HostConfig as docker
// inspect shows them, and refused at create time when this host can't
// enforce them, never silently ignored.
//
// Enforcing them needs a cgroup v2 subtree delegated to the user with the
// memory, cpu and pids controllers (probe.h's CgroupFacts; assess_limits in
// info.h says which work and why not). There each container gets a cgroup
// of its own with its limits written (linux/cgroup.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "linux/cgroup.h"
#include "linux/probe.h"

namespace skiff {

/// How a user gets cgroups they can use (limits, the freezer), for messages.
inline constexpr const char* kCgroupDelegationHow =
    "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) and set Delegate=yes for user@.service "
    "(systemctl edit user@.service)";

/// The limits as docker's HostConfig holds them; 0 means none.
struct ResourceLimits {
  int64_t memory = 0;       ///< bytes
  int64_t memory_swap = 0;  ///< memory plus swap in bytes; -1 unlimited
  int64_t nano_cpus = 0;    ///< CPUs times 10^9
  int64_t cpu_shares = 0;   ///< relative weight
  int64_t pids_limit = 0;   ///< -1 unlimited
};

/// The flags' text as the user gave it ("" for a flag not given).
struct ResourceLimitFlags {
  std::string memory, memory_swap, cpus;
  int64_t cpu_shares = 0;
  int64_t pids_limit = 0;
};

/// docker's RAMInBytes: "512m", "1.5g", "64k", "1024", "2GiB" (binary units).
Result<int64_t> parse_memory_size(std::string_view text);

/// Checks the flags as docker does (6 MB at least of memory, swap only with
/// memory and not below it, CPUs in 0.01..`online_cpus`, at most nine
/// decimals) and converts them.
Result<ResourceLimits> parse_resource_limits(const ResourceLimitFlags& flags, long online_cpus);

/// The flags (in their --long form) that ask the host to enforce a limit.
std::vector<std::string> limits_to_enforce(const ResourceLimits& limits);

/// Whether the host the facts describe can enforce `limits`: OK, or an
/// error naming the flags, why not (cgroup v1, not delegated, a controller
/// missing) and how to enable it.
Status check_resource_limits(const ResourceLimits& limits, const CgroupFacts& cgroups, uid_t uid);

/// Adds docker's Memory, MemorySwap (twice Memory when only Memory is
/// set, as dockerd does), NanoCpus, CpuShares and PidsLimit (null when not
/// set) to `host_config`.
void record_resource_limits(Json& host_config, const ResourceLimits& limits);

/// The limits record_resource_limits recorded in `host_config`.
ResourceLimits recorded_resource_limits(const Json& host_config);

/// The cgroup v2 controllers and files that enforce `limits`, as crun
/// writes them: memory.max, memory.swap.max (the swap beyond the memory),
/// cpu.max (a 100 ms period), cpu.weight (from shares), pids.max.
CgroupSettings cgroup_settings(const ResourceLimits& limits);

/// The cgroup container `name` (linux/cgroup.h) runs in: its own, under
/// the user's delegated cgroup v2 folder, with `limits` written. Without
/// limits it is a convenience (pause, accounting), so where none can be
/// made it is empty; with limits that can't be enforced it is an error
/// saying why and how to get them.
Result<ScopedCgroup> make_container_cgroup(const std::string& name, const ResourceLimits& limits);

}  // namespace skiff
