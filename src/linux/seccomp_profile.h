// Seccomp for `skiff run`: docker's JSON profiles compiled with libseccomp.
//
// Compile in the parent (libseccomp allocates); load in the forked child just
// before execve (no allocation). The compiler follows docker 25 and runc:
// includes/excludes are decided against the container's capabilities, this
// machine's architecture and the running kernel; syscall names this libseccomp
// does not know are skipped; and, as runc does, a stub in front of the filter
// answers ENOSYS for syscalls newer than any the profile names, so a new libc
// in an image falls back instead of failing with EPERM.
//
// Named seccomp_profile.h, not seccomp.h: with src/ on the include path, a
// src/linux/seccomp.h would shadow the kernel's <linux/seccomp.h>, which
// libseccomp's <seccomp.h> includes.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

/// A seccomp profile in docker's JSON format (defaultAction, defaultErrnoRet, architectures/archMap,
/// syscalls[{names, action, errnoRet, args[{index, value, valueTwo, op}], includes{caps, arches, minKernel},
/// excludes{...}}]).
struct SeccompProfile {
  Json json;
};

/// Docker's default profile (moby's profiles/seccomp/default.json, docker v25.0.5), built in.
const SeccompProfile& default_seccomp_profile();

/// Checks that `json` is a profile skiff can compile; errors name the bad field ("syscalls[3].action: ...").
Result<SeccompProfile> parse_seccomp_profile(Json json);

/// Reads a profile file; errors name the file and the bad field.
Result<SeccompProfile> load_seccomp_profile(const std::string& path);

/// Compiles `profile` with libseccomp into a BPF program for this machine's architectures, honouring
/// includes/excludes against `capabilities` (the container's effective capability names like
/// "CAP_SYS_ADMIN") and the running kernel version. Pure apart from libseccomp: never loads the filter.
/// An empty program means the profile disables seccomp (no defaultAction and no syscalls, as docker reads
/// it).
Result<std::vector<sock_filter>> compile_seccomp(const SeccompProfile& profile,
                                                 const std::vector<std::string>& capabilities);

/// Loads a compiled program into the calling thread with seccomp(SECCOMP_SET_MODE_FILTER) (prctl on
/// kernels without that syscall); requires no_new_privs or CAP_SYS_ADMIN. An empty program loads nothing.
/// Safe in a forked child just before execve: no allocation, even when it fails.
Status load_seccomp(const std::vector<sock_filter>& program);

}  // namespace skiff
