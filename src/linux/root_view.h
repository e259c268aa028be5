// A container's root file system outside the container, in a mount
// namespace that ends with the process that made it.
//
// Read-only, for `skiff export`: the container's upper folder laid over its
// image's layers the way its storage driver mounts them, but as lower layers
// only. Nothing is written (a running container keeps its overlay's work
// folder to itself).
//
// Writable, for `skiff cp` into a container that is not running: mounted as
// its start mounts it (its upper and work folders; vfs: its copy, made
// first when missing), with its bind volumes on top.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "linux/container_plan.h"
#include "linux/sync_socket.h"

namespace skiff {

struct RootViewSpec {
  RootfsDriver driver = RootfsDriver::kNative;
  /// TOP first. Overlay drivers: the container's upper folder, then its
  /// image's layers. vfs: the image's layers.
  std::vector<std::string> layers;
  std::string mountpoint;      ///< an empty folder to mount on (overlay drivers)
  std::string copy;            ///< vfs: the container's copy (missing until its first start)
  std::string scratch;         ///< vfs, never started: where a copy of the layers is made meanwhile
  std::string fuse_overlayfs;  ///< the program, for RootfsDriver::kFuseOverlayfs
  /// Writable: the container's overlay options with its upper and work
  /// folders (ContainerPlan's overlay_options, relative to overlay_chdir
  /// when that is set). vfs: `copy` is written, made first when missing.
  bool writable = false;
  std::string overlay_options;
  std::string overlay_chdir;
  /// Performed on the view once assembled (the container's bind volumes).
  std::vector<MountStep> mounts;
};

/// Runs `body` with the view's root open (O_RDONLY | O_DIRECTORY). Call as
/// root of the containers' user namespace, in a single-threaded child: it
/// unshares a mount and a PID namespace, and the PID namespace's first
/// process assembles the view and runs `body`, reporting a failure on
/// `sock` (the child's socket). When it is done the PID namespace ends, and
/// with it every process the view needed (fuse-overlayfs's daemon).
Status with_root_view(const RootViewSpec& spec, SyncSocket& sock, const std::function<Status(int root_fd)>& body);

}  // namespace skiff
