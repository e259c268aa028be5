// The plan of a container's namespaces and mounts, decided before the first
// clone and making no syscall itself (STYLE.md §6), so every decision is unit
// tested: which namespaces, the ID maps, the overlay options with their paths
// escaped, and the ordered list of mounts the container's init performs
// inside the new mount namespace before pivot_root.
//
// Every mount target is a clean path relative to the new root; the init
// resolves it inside the root by descriptor (linux/path_in_root.h), so an
// image whose /etc/hosts or /proc is a symlink out can't redirect a mount.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "linux/userns.h"

namespace skiff {

enum class RootfsDriver { kNative, kFuseOverlayfs, kVfs };

/// "native", "fuse-overlayfs", "vfs".
const char* rootfs_driver_name(RootfsDriver driver);
Result<RootfsDriver> parse_rootfs_driver(std::string_view name);

struct RootfsSpec {
  RootfsDriver driver = RootfsDriver::kNative;
  std::vector<std::string> lower_dirs;  ///< layer diff dirs, TOP first (overlay's order)
  std::string upper_dir;
  std::string work_dir;
  std::string merged_dir;  ///< where the root is assembled
};

/// A user's -v / --mount / --tmpfs, or an image's VOLUME.
struct VolumeSpec {
  enum class Type { kBind, kTmpfs };
  Type type = Type::kBind;
  std::string source;       ///< host path (bind; a volume's _data folder)
  std::string destination;  ///< absolute path in the container
  bool read_only = false;
  std::string options;      ///< tmpfs options ("size=64m,mode=1777")
  bool exec = false;        ///< tmpfs: allow exec (noexec by default)
  /// A volume (engine/volumes.h), bound like a host folder: its name; ""
  /// for other mounts and for an anonymous volume not made yet.
  std::string volume{};
  bool anonymous = false;  ///< a volume made for this container (rm -v removes it)
  bool copy_up = false;    ///< fill the volume from the image's destination on its first mount
};

struct ContainerSpec {
  RootfsSpec rootfs;
  std::vector<VolumeSpec> volumes;
  std::string network;  ///< --network as recorded (net/network_mode.h)
  bool read_only_rootfs = false;
  bool privileged = false;       ///< no masked or read-only /proc paths
  std::string hosts_file;        ///< host files bound over /etc/hosts, /etc/hostname, /etc/resolv.conf
  std::string hostname_file;
  std::string resolv_conf_file;
};

struct MountStep {
  enum class Kind {
    kMount,     ///< mount(source, target, fstype, flags, data)
    kBind,      ///< bind mount source (host path) on target; flags may add MS_RDONLY (remount)
    kDevice,    ///< bind the host's device node `source` on target (a file created first)
    kSymlink,   ///< symlink(source, target) when target doesn't exist
    kMask,      ///< hide target: /dev/null over a file, an empty read-only tmpfs over a directory
    kReadOnly,  ///< bind target on itself and remount read-only
  };
  Kind kind;
  std::string source;
  std::string target;  ///< clean, relative to the new root ("" is the root itself)
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
  bool optional = false;  ///< a failure is ignored (e.g. mqueue where the kernel lacks it)
  bool operator==(const MountStep&) const = default;
};

/// A volume to fill, before the mounts, from the image's content at its
/// destination (linux/volume_copy_up.h).
struct CopyUpStep {
  std::string data_dir;  ///< the volume's _data folder (host path)
  std::string target;    ///< clean, relative to the new root
  bool operator==(const CopyUpStep&) const = default;
};

struct ContainerPlan {
  unsigned long clone_flags = 0;
  IdMapping mapping;
  /// overlay's mount data for native overlay: lowerdir=...,upperdir=...,workdir=...,userxattr;
  /// fuse-overlayfs's -o for that driver (absolute paths, no escapes)
  std::string overlay_options;
  /// When absolute paths would pass the kernel's one-page limit on mount
  /// data, the options name the layers relative to this folder, and the init
  /// chdir()s there before mounting. "" otherwise.
  std::string overlay_chdir;
  std::vector<MountStep> mounts;  ///< in order, after the root is assembled, before pivot_root
  std::vector<CopyUpStep> copy_ups;  ///< before the mounts
};

/// Escapes a path for overlay's mount options: backslash, comma and colon
/// get a backslash, as the kernel's option parser expects.
std::string escape_overlay_path(std::string_view path);

/// The options that mount `layers` (TOP first) as a read-only overlay, with
/// no upper layer: native overlay's mount data (relative to `chdir` when
/// absolute paths would not fit the kernel's one page, "" otherwise), or
/// fuse-overlayfs's -o.
struct ReadOnlyOverlay {
  std::string options;
  std::string chdir;
};
Result<ReadOnlyOverlay> read_only_overlay_options(RootfsDriver driver, const std::vector<std::string>& layers);

/// The namespaces a container gets: all of docker's, the network one unless
/// `network` shares the host's or another container's; a user namespace
/// unless `mapping` is the identity (real root keeps host IDs) or it shares
/// another container's network (whose user namespace it joins). make_plan's
/// clone_flags.
unsigned long container_clone_flags(std::string_view network, const IdMapping& mapping);

/// Decides everything about a container's namespaces and mounts; no syscall.
/// Fails on specs the kernel would refuse (a relative or empty volume
/// destination, a destination that leads outside the root, no layers).
Result<ContainerPlan> make_plan(const ContainerSpec& spec, const IdMapping& mapping);

/// docker's masked and read-only /proc and /sys paths (moby's oci defaults).
const std::vector<std::string>& docker_masked_paths();
const std::vector<std::string>& docker_readonly_paths();

}  // namespace skiff
