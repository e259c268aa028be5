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
//
// For the tar recipe (image/tar_recipe.h) the extractor also lists the
// regular files whose content it wrote as the tar carries it ("bodies"), and
// with a stash folder it never deletes what a later entry replaces: it moves
// it to the stash, so every body stays on disk somewhere.
#pragma once

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "base/sha256.h"

namespace skiff {

struct ExtractReport {
  uint64_t entries = 0;
  uint64_t bodies = 0;            ///< regular files written as the tar carries them
  std::string bodies_digest;      ///< BodyListDigest of those files, in tar order
  uint64_t stashed_bodies = 0;    ///< bodies kept as stash/<index> (their name was reused)
  uint64_t unmapped_owners = 0;   ///< entries left owned by root: their ID isn't mapped
  uint64_t skipped_devices = 0;   ///< device nodes we may not create unprivileged
  std::string first_unmapped;     ///< e.g. "etc/shadow (uid 100000)"
  std::string first_device;

  Json to_json() const;
  static ExtractReport from_json(const Json& json);
};

/// Extracts the uncompressed tar read from `tar_fd` into the directory open
/// at `root_fd`. An entry that would lead outside the root is an error.
///
/// With `stash_fd` (a folder beside the root, not inside it), what an entry
/// replaces or a whiteout deletes is moved into the stash rather than
/// removed. When the tar is done, each body that is no longer reachable at
/// its own name gets a hard link `stash/<index>` (its position among the
/// bodies, from 0), and the rest of the stash is removed.
Result<ExtractReport> extract_tar_layer(int tar_fd, int root_fd, int stash_fd = -1);

/// How extract_tar treats what it meets; the defaults are a layer's rules.
struct ExtractOptions {
  /// An image layer: OCI whiteouts become overlay whiteouts, and an entry
  /// replaces whatever is in its way, a folder too. Off (`skiff cp`):
  /// `.wh.` names are plain files, a folder and a non-folder never replace
  /// each other (an error, as docker's cp), and folders get their modes
  /// last, so a read-only folder can still be filled by its owner.
  bool layer = true;
  /// Entries get the owners the archive names; off, they belong to
  /// whoever extracts them.
  bool keep_owners = true;
  int stash_fd = -1;  ///< as extract_tar_layer's
};

/// extract_tar_layer with `options`.
Result<ExtractReport> extract_tar(int tar_fd, int root_fd, const ExtractOptions& options);

/// What the extractor makes of an entry's name, as libarchive reports it
/// (pax `path`, GNU long name, or ustar prefix and name). The one place
/// entry names are normalised: the tar recipe must agree with it exactly.
enum class LayerEntryKind {
  kRoot,          ///< "./", "/" and the like: the layer root itself
  kPlain,         ///< an entry made at `rel`
  kWhiteout,      ///< `.wh.NAME`: deletes `parent/NAME`; nothing is made at `rel`
  kOpaqueMarker,  ///< `.wh..wh..opq`: marks `parent` opaque
  kAufsMetadata,  ///< `.wh..wh.*` and a bare `.wh.`: ignored
};

struct LayerEntryName {
  std::string rel;     ///< clean, relative to the layer root ("" for the root)
  std::string parent;  ///< rel's folder ("" at the top)
  std::string name;    ///< rel's last component
  LayerEntryKind kind = LayerEntryKind::kPlain;
};

/// Cleans `raw` (clean_relative_path) and classifies it; a name leading
/// outside the root is an error.
Result<LayerEntryName> layer_entry_name(std::string_view raw);

/// The list of bodies both the extractor and the tar recipe keep, hashed:
/// each body's clean path and size, in tar order. Equal digests mean the
/// recipe's file references are the files the extractor wrote.
class BodyListDigest {
 public:
  void add(std::string_view rel, uint64_t size);
  uint64_t count() const { return count_; }
  /// Hex; call once.
  std::string hex();

 private:
  Sha256 hash_;
  uint64_t count_ = 0;
};

/// The xattrs that mark a directory opaque for native overlayfs (userxattr)
/// and for fuse-overlayfs.
inline constexpr const char* kOpaqueXattrs[] = {"user.overlay.opaque", "user.fuseoverlayfs.opaque"};

/// True for overlay's and fuse-overlayfs's own xattrs (opaque marks,
/// redirects), which an image must never set or carry over: they would
/// change what other layers show.
inline bool is_overlay_xattr(std::string_view name) {
  return name.find(".overlay.") != std::string_view::npos || name.find("fuseoverlayfs") != std::string_view::npos;
}

/// True for an overlay whiteout: a 0/0 character device.
inline bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

/// True when the directory open at `dir_fd` carries one of kOpaqueXattrs
/// with the value "y".
inline bool is_opaque_directory(int dir_fd) {
  for (const char* xattr : kOpaqueXattrs) {
    char value = 0;
    if (::fgetxattr(dir_fd, xattr, &value, 1) == 1 && value == 'y') return true;
  }
  return false;
}

}  // namespace skiff
