// What `skiff info` reports: the host's kernel, which root filesystem
// driver works for this user, ID mapping, cgroups, networking, and the store.
//
// JSON shape (camelCase keys, like `podman info --format json`):
//   host          os, arch, kernel, kernelVersion, hostname, distribution{id,
//                 versionId, prettyName}, cpus, memTotal, memFree, swapTotal,
//                 swapFree, uptime, uptimeSeconds, rootless,
//                 userNamespaces{works, error, maxUserNamespaces,
//                 [unprivilegedUsernsClone]}
//   idMappings    user, uid, gid, root, uidmap/gidmap[{containerId, hostId,
//                 size}], subuids/subgids[{start, count}],
//                 newuidmap/newgidmap{path, setuidRoot, fileCaps, usable}, warning
//   rootfsDriver  "native" | "fuse-overlayfs" | "vfs": the first that works
//   rootfsDrivers native{works, error}, fuseOverlayfs{works, error, path},
//                 vfs{works, error}
//   cgroups       version ("v1", "v2", "hybrid", "none"), v2Mount, cgroup,
//                 v1Controllers, controllers, subtreeControl, delegated,
//                 limits{memory, cpus, pidsLimit, warning}
//   network       defaultBackend, backends{slirp{available, libslirp,
//                 tunDevice, error}, pasta{available, path},
//                 slirp4netns{available, path}, host{available},
//                 none{available}}, unprivilegedPortStart
//   store         root, runroot, graphDriverName, filesystem, bytesAvailable,
//                 images/layers/containers/volumes{count, bytes}
//                 (root, runroot, graphDriverName, error when it can't be opened)
//   version       version, gitCommit
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/json.h"
#include "image/store.h"
#include "linux/probe.h"
#include "linux/userns.h"

namespace skiff {

/// Gathers every fact; probes that fail are reported as values, never as errors.
Json gather_info(const Store& store);

/// The same report when the store can't be opened (`store_error`): no
/// store sizes and no native overlay probe (it runs in the store), but
/// everything else, so `skiff info` still helps find out what is wrong.
Json gather_info_without_store(const std::string& root, const std::string& runroot, const Error& store_error);

/// Which resource limits a container can get here.
struct LimitSupport {
  bool memory = false;  ///< --memory (the memory controller)
  bool cpus = false;    ///< --cpus (the cpu controller)
  bool pids = false;    ///< --pids-limit (the pids controller)
  std::string warning;  ///< why some are missing, "" when all work
};

/// Limits need a cgroup v2 folder this user may write, with the controllers
/// delegated to it; says which flags are lost and why otherwise.
LimitSupport assess_limits(const CgroupFacts& cgroups, uid_t uid);

/// What the user loses with this ID setup, and how to fix it; "" when
/// nothing is lost (root, or a full range with working helpers).
std::string id_mapping_warning(const UsernsFacts& facts, const SetidProgram& newuidmap,
                               const SetidProgram& newgidmap);

/// "native", "fuse-overlayfs" or "vfs": the first of them that works.
std::string choose_rootfs_driver(const ProbeResult& native, const ProbeResult& fuse_overlayfs);

/// "3d 4h 5m 6s", leading zero units left out ("5m 6s").
std::string format_uptime(uint64_t seconds);

/// A subordinate ID range for people: "200000-265535 (65536 IDs)".
std::string describe_subid_range(const SubidRange& range);

}  // namespace skiff
