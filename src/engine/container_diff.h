// skiff diff: what a container changed in its file system, in docker's
// `A /path` (added), `C /path` (changed), `D /path` (deleted) lines.
//
// Overlay drivers (native, fuse-overlayfs): every entry of the container's
// upper folder is a change. A whiteout (a 0/0 character device, or
// fuse-overlayfs's `.wh.NAME` file) is D; an entry the image's layers have
// (as overlay shows them: their own whiteouts and opaque folders count) is
// C, any other A. Folders holding changes are themselves in the upper
// folder, so they show as C (or A), as docker shows them.
// vfs: the container's copy is compared with the image's layers, as docker
// compares two trees: type and permissions, owner, device, and for all but
// folders size and modification time; a folder holding a change is C.
//
// The places skiff mounts over in every container (proc, dev, sys,
// etc/hosts, etc/hostname, etc/resolv.conf) are made in the root when the
// image lacks them; like docker's init layer, they never show, nor do
// folders that only hold them.
//
// The trees are read in a child that is root of the containers' user
// namespace: files of subordinate IDs may not be readable by the user.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct FsChange {
  char kind = 'C';   ///< 'A', 'C' or 'D'
  std::string path;  ///< absolute in the container: "/etc/passwd"
  bool operator==(const FsChange&) const = default;
};

/// A container's changes in docker's order (by path, a folder's entries
/// right after it). A container never started has none.
Result<std::vector<FsChange>> container_changes(const Store& store, const Container& container);

/// One entry a walk found, before skiff's mount points are taken out.
struct FoundChange {
  FsChange change;
  bool directory = false;
  bool mount_point = false;  ///< an empty stub skiff made to mount over
  bool own_change = false;   ///< a folder whose own mode, owner or opacity changed
};

/// The changes to show (pure): mount point stubs left out, and folders
/// whose entries are all left out unless they changed themselves; sorted
/// as docker lists them.
std::vector<FsChange> changes_to_show(std::vector<FoundChange> found);

/// docker's order: path by path component, so "/a", "/a/b", "/a-b".
bool walk_order_less(std::string_view a, std::string_view b);

/// True for the paths skiff mounts over in every container ("proc",
/// "etc/hosts": relative, clean).
bool is_skiff_mount_point(std::string_view relative_path);

/// True for what skiff makes in an upper folder to mount over when the
/// image lacks it: an empty file (etc/hosts, ...) or a folder (proc, ...).
bool is_mount_point_stub(std::string_view relative_path, const struct stat& st);

}  // namespace skiff
