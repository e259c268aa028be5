// A container's own cgroup v2, under the folder the user's systemd session
// (or an administrator) delegated to them.
//
// Containers' cgroups are made beside each other in the *base*: the folder
// of the process's own cgroup, when this user may create cgroups there.
// Limits need controllers enabled in the base's cgroup.subtree_control, which
// the kernel refuses while the base itself holds processes (cgroup v2's "no
// internal processes" rule); skiff then moves those processes (itself, the
// shell that started it) into the base's child `leaf`, as podman does with
// its own subtree. A process in `leaf` counts its parent as its base.
//
//   <base>/                   cgroup.subtree_control: +memory +cpu +pids
//   <base>/leaf/              the processes that were in <base>
//   <base>/skiff-<ID>/        one container's processes, its limits
//
// The container's first process is cloned straight into its cgroup
// (clone3's CLONE_INTO_CGROUP), so the cgroup namespace made by the same
// clone is rooted there; `skiff exec` joins it before entering the
// container's namespaces.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "linux/probe.h"

namespace skiff {

/// What a container's cgroup gets: the controllers its files need, enabled
/// in the base, and the files written in it ("pids.max" = "100").
struct CgroupSettings {
  std::vector<std::string> controllers;
  std::vector<std::pair<std::string, std::string>> files;
};

/// The base for the process the facts describe: its cgroup v2 folder, or
/// that folder's parent when it is a `leaf`; "" when this user may not make
/// cgroups there (not delegated), or the host has no cgroup v2.
std::string cgroup_base(const CgroupFacts& facts);

/// The name of a container's cgroup in the base.
std::string container_cgroup_name(std::string_view container_id);

/// A cgroup made by this process and removed (rmdir) when destroyed: by
/// then the processes in it must have ended (an ended container's have:
/// its PID namespace ends with its init). Empty (no cgroup) when
/// default-constructed.
class ScopedCgroup {
 public:
  /// Makes `base`/`name` (reusing an empty one a killed monitor left) with
  /// `settings`: the controllers enabled in `base` (moving the processes in
  /// `base` to `base`/leaf when the kernel asks for it), then the files
  /// written. Errors say which step and file failed.
  static Result<ScopedCgroup> make(const std::string& base, const std::string& name,
                                   const CgroupSettings& settings);

  ScopedCgroup() = default;
  ScopedCgroup(ScopedCgroup&& other) noexcept { *this = std::move(other); }
  ScopedCgroup& operator=(ScopedCgroup&& other) noexcept;
  ~ScopedCgroup() { remove(); }

  /// A descriptor of the folder (for CLONE_INTO_CGROUP); -1 when empty.
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  bool empty() const { return path_.empty(); }
  /// True when it was made with limits: a process that can't enter it
  /// must not run.
  bool limited() const { return limited_; }

  /// Renames it to `name` in the same base.
  Status rename(const std::string& name);

 private:
  void remove();
  std::string path_;
  UniqueFd fd_;
  bool limited_ = false;
};

/// The cgroup v2 folder (host path) of the container whose init is `pid`,
/// when that init runs in its own (named by container_cgroup_name);
/// "" otherwise.
std::string container_cgroup_of(pid_t pid, std::string_view container_id);

/// Moves the calling process into the cgroup folder `path`.
Status enter_cgroup(const std::string& path);

}  // namespace skiff
