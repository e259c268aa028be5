// What a container's processes may do: their capabilities, seccomp program
// and no_new_privileges, decided from the container's records. Its first
// process and every `skiff exec` process get the same (DESIGN.md, "The
// process model"), so both ask this one function.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/caps.h"

namespace skiff {

struct ContainerSecurity {
  CapabilitySet capabilities;        ///< HostConfig CapAdd/CapDrop/Privileged, docker's rules
  std::vector<sock_filter> seccomp;  ///< compiled for those capabilities; empty: unconfined
  bool no_new_privileges = false;
};

/// The security settings of `container`'s processes. The seccomp program
/// (the recorded profile: "default", "unconfined" or docker's JSON) is
/// compiled once per boot and kept in the runtime folder under a hash of
/// the profile, the capabilities, the kernel and libseccomp: compiling
/// docker's profile takes ~15 ms, more than the rest of a start.
Result<ContainerSecurity> container_security(const Store& store, const Container& container);

}  // namespace skiff
