// Starting a container's first process: clone into new namespaces, map IDs,
// assemble the root, mount, pivot, drop privileges, exec (DESIGN.md, "The
// process model"). Everything was decided before: the plan
// (linux/container_plan.h), the capability set, the compiled seccomp
// program. This file only carries it out, the parent's half and the child's
// half each reading top to bottom.
//
// The child is cloned before its spec is known, so that writing its ID maps
// (newuidmap/newgidmap, a few milliseconds) overlaps with the parent's other
// work, such as creating the container's records. The spec is made in the
// child from a payload the parent sends once the maps are written (skiff
// run sends the container's ID; the child reads its records).
//
// Message order on the sync socket (linux/sync_socket.h):
//   parent -> child   kValue     "maps written; here is what makes your spec" (EOF: give up)
//   child  -> parent  kFd        its tap0's frame queue, only with `tap` (linux/tap_device.h)
//   child  -> parent  kFd        the pty master, only with `tty`
//   child  -> parent  kError     setup failed (the child exits 125), or the command could not be
//                                executed (the init exits 126 or 127)
//   EOF                          the command was exec'd: the socket was close-on-exec
//
// The child never execs the command itself: it execs skiff's static init from
// a sealed memfd (linux/init_binary.h), which execs the command (or, with
// `init`, stays PID 1). So no process in the container ever runs the host's
// skiff binary, which a container could otherwise overwrite through
// /proc/PID/exe (CVE-2019-5736).
#pragma once

#include <linux/filter.h>
#include <sys/ioctl.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "linux/caps.h"
#include "linux/cgroup.h"
#include "linux/child_process.h"
#include "linux/container_plan.h"
#include "linux/sync_socket.h"
#include "linux/tap_device.h"
#include "linux/userns.h"

namespace skiff {

struct LaunchSpec {
  ContainerPlan plan;
  RootfsSpec rootfs;                ///< driver and folders the plan was made from
  std::vector<std::string> argv;    ///< the command, argv[0] looked up in PATH inside
  std::vector<std::string> env;     ///< NAME=value
  std::string cwd = "/";            ///< created when missing
  std::string hostname;
  std::string user;                 ///< -u as given, resolved against the image's /etc/passwd
  std::vector<std::string> group_add;
  CapabilitySet capabilities;
  std::vector<sock_filter> seccomp;  ///< empty: unconfined
  bool no_new_privileges = false;
  bool init = false;                ///< skiff's init stays PID 1, reaping and forwarding signals
  bool tty = false;                 ///< a pty from the container's devpts; its master comes back
  std::optional<struct winsize> window;  ///< the pty's first size
  /// The container's stdin, stdout, stderr (ignored for a stream the pty
  /// replaces). Must not be a terminal of the host (TIOCSTI could type into it).
  int stdio[3] = {-1, -1, -1};
  int init_fd = -1;                 ///< the sealed init (open_init_binary())
  std::string fuse_overlayfs;       ///< the program, for RootfsDriver::kFuseOverlayfs
  std::optional<TapConfig> tap;     ///< made in the new network namespace; its fd comes back
};

struct LaunchedContainer {
  ScopedCgroup cgroup;   ///< its own cgroup, if any (first: removed after the process is reaped)
  ChildProcess process;  ///< the container's PID 1, as seen from the host
  UniqueFd pty_master;   ///< with `tty`
  UniqueFd tap;          ///< with `tap`: the frames of the container's tap0
};

/// The child's half of making a LaunchSpec, from the parent's payload.
using SpecMaker = std::function<Result<LaunchSpec>(const std::string& payload)>;

/// A container being started, in two steps. Call from a single-threaded process.
class ContainerLaunch {
 public:
  /// Clones the child into the namespaces of `clone_flags` and starts
  /// writing its ID maps; the child waits. `make_spec` runs in the child and
  /// must produce a plan with the same clone flags. `tty`: a pty master
  /// comes back; `tap`: the spec has a TapConfig, and its fd comes back. With a non-empty `cgroup`, the child starts in it (a
  /// kernel that can't do that runs a cgroup without limits in ours).
  /// Destroyed unfinished, the child is killed and reaped.
  struct Returns {
    bool tty = false;
    bool tap = false;
  };
  static Result<ContainerLaunch> begin(unsigned long clone_flags, const IdMapping& mapping, Returns returns,
                                       const SpecMaker& make_spec, const ScopedCgroup* cgroup = nullptr);
  /// Waits for the ID maps, sends `payload` to the child and returns once
  /// its command was exec'd. Failures before that come back as Errors: exit
  /// code 125 for skiff's own, 126 when the command can't be executed, 127
  /// when it isn't found; the child is reaped either way. `before_go`, when
  /// given, runs once the maps are written and before the child goes on
  /// (with its PID): what must be set up in its namespaces from outside
  /// (pasta). Call once.
  Result<LaunchedContainer> finish(std::string_view payload,
                                   const std::function<Status(pid_t)>& before_go = nullptr);

 private:
  ContainerLaunch(ChildProcess process, SyncSocket sock, Returns returns)
      : process_(std::move(process)), sock_(std::move(sock)), returns_(returns) {}
  ChildProcess process_;
  SyncSocket sock_;
  Returns returns_;
  std::optional<IdMapWriter> maps_;
};

}  // namespace skiff
