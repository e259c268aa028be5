// Writes a layer's tar stream into a directory, the way overlayfs wants it,
// and never anywhere else.
//
// libarchive parses the tar; every write goes through descriptors opened
// inside the layer root (linux/path_in_root.h), so `../`, absolute names,
// symlinks and hardlinks that point out, and whiteouts of outside paths can
// not touch a file outside it. OCI whiteouts become overlay whiteouts:
// `.wh.NAME` a 0/0 character device, `.wh..wh..opq` the opaque xattr.
// Run it inside the user namespace whose mapping containers use, so that
// ownership on disk is the image's, shifted into the subordinate range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

struct ExtractReport {
  uint64_t entries = 0;
  uint64_t unmapped_owners = 0;   ///< entries left owned by root: their ID isn't mapped
  uint64_t skipped_devices = 0;   ///< device nodes we may not create unprivileged
  std::string first_unmapped;     ///< e.g. "etc/shadow (uid 100000)"
  std::string first_device;

  Json to_json() const;
  static ExtractReport from_json(const Json& json);
};

/// Extracts the uncompressed tar read from `tar_fd` into the directory open
/// at `root_fd`. An entry that would lead outside the root is an error.
Result<ExtractReport> extract_tar_layer(int tar_fd, int root_fd);

/// The xattrs that mark a directory opaque for native overlayfs (userxattr)
/// and for fuse-overlayfs.
inline constexpr const char* kOpaqueXattrs[] = {"user.overlay.opaque", "user.fuseoverlayfs.opaque"};

/// True for overlay's and fuse-overlayfs's own xattrs (opaque marks,
/// redirects), which an image must never set or carry over: they would
/// change what other layers show.
inline bool is_overlay_xattr(std::string_view name) {
  return name.find(".overlay.") != std::string_view::npos || name.find("fuseoverlayfs") != std::string_view::npos;
}

}  // namespace skiff
