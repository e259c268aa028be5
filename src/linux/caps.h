// Linux capabilities of the container's process: which ones it gets
// (docker's default set, --cap-add, --cap-drop, --privileged) and setting
// them on the container's init just before execve.
//
// skiff follows docker, not podman: the default set is moby's
// oci/caps/defaults.go (14 capabilities), and add/drop/ALL/privileged are
// evaluated as moby's TweakCapabilities does. The sets a process ends up with
// are those docker's runtime spec gives runc (moby oci.SetCapabilities):
//   - uid 0:     bounding = permitted = effective = the set; inheritable and
//                ambient empty (docker stopped filling inheritable after
//                CVE-2022-24769).
//   - other uid: bounding = the set; permitted, effective, inheritable and
//                ambient empty, which is what execve gives a non-root user
//                anyway. A setuid-root or file-capability binary in the image
//                can still gain capabilities up to the bounding set (ping,
//                sudo), exactly as under docker. --cap-add does not give a
//                non-root user effective capabilities; docker doesn't either.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

/// Capability names as docker prints them ("CAP_CHOWN"), sorted by name,
/// each once. Build one with resolve_capabilities or capabilities_from_mask.
struct CapabilitySet {
  std::vector<std::string> names;

  bool contains(std::string_view name) const;
  bool operator==(const CapabilitySet&) const = default;
};

/// docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
/// SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE.
const CapabilitySet& default_capabilities();

/// Every capability this kernel knows and skiff can name (numbers up to
/// /proc/sys/kernel/cap_last_cap, as libcap's cap_max_bits() reports).
CapabilitySet all_capabilities();

/// The kernel's number of a canonical name ("CAP_CHOWN" -> 0), or nullopt for
/// a name skiff doesn't know. Does not look at the running kernel.
std::optional<int> capability_number(std::string_view name);

/// "CAP_CHOWN" for "chown", "CHOWN", "cap_chown", "CAP_chown"; "ALL" for any
/// case of "all". Errors: "unknown capability `CAP_FOO`", or "capability
/// `CAP_BPF` is not supported by this kernel" for one newer than the kernel.
Result<std::string> normalize_capability_name(std::string_view name);

/// The set as kernel bits: bit N for capability number N.
uint64_t capability_mask(const CapabilitySet& set);
/// The named capabilities among `mask`'s bits; bits skiff can't name are left out.
CapabilitySet capabilities_from_mask(uint64_t mask);

/// docker's rules (moby TweakCapabilities), after every name in `add` and
/// `drop` is checked (even with `privileged`, as dockerd's validation does):
///   privileged           -> all capabilities; add and drop are ignored
///   "ALL" in add         -> all capabilities but those named in drop
///                           (so add ALL + drop ALL is all)
///   "ALL" in drop        -> exactly the ones named in add
///   otherwise            -> the default set, minus drop, plus add
///                           (a name in both is kept: adds come last)
Result<CapabilitySet> resolve_capabilities(const std::vector<std::string>& add,
                                           const std::vector<std::string>& drop, bool privileged);

/// The calling process's permitted set: what it can give a child at most.
CapabilitySet held_capabilities();

/// Gives the calling process `set` as described at the top of this file;
/// call in the container's init just before execve, as uid 0 in its user
/// namespace with CAP_SETPCAP effective. In order:
///  1. PR_CAPBSET_DROP every capability not in `set` from the bounding set.
///  2. If `become_user` is given: PR_SET_KEEPCAPS, become_user() (setgroups,
///     setgid, setuid: it runs with every capability still effective), and
///     PR_SET_KEEPCAPS off again, as runc does.
///  3. Clear the ambient set; set permitted = effective = `set` if the
///     effective uid is then 0, else empty; inheritable empty.
/// Capabilities in `set` that the process doesn't hold (held_capabilities())
/// can't be granted by anyone and are left out: --privileged as real root in
/// a restricted environment gets what the host allows. Allocates but never
/// throws (safe in a forked child).
Status apply_capabilities(const CapabilitySet& set, const std::function<Status()>& become_user = {});

}  // namespace skiff
