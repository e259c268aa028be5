// Paths inside a root that someone else controls (an image's layer, a
// container's rootfs) are reached through descriptors, never by joining
// strings: every symlink met on the way is resolved as if `root` were "/",
// so no path can lead out of it.
//
// openat2(RESOLVE_IN_ROOT) does this in the kernel (Linux >= 5.6). Where it
// is missing or denied (ENOSYS, EPERM from a seccomp filter), a component-by-
// component walk with O_NOFOLLOW and our own symlink expansion does the same.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// Cleans a path lexically as tar and Docker do: leading "/" and "./" are
/// dropped, "." and empty components removed, ".." applied. Fails when ".."
/// would climb above the root. The root itself is "".
Result<std::string> clean_relative_path(std::string_view path);

/// Like clean_relative_path, but ".." at the root stays at the root, as the
/// kernel resolves it under RESOLVE_IN_ROOT (and docker cleans a path in a
/// container): never fails.
std::string clean_clamped_path(std::string_view path);

/// The folder part of a clean relative path: "a/b/c" -> "a/b", "c" -> "".
std::string relative_parent(std::string_view rel);
/// The last component of a clean relative path: "a/b/c" -> "c".
std::string relative_base(std::string_view rel);
/// "a" and "b" -> "a/b"; either may be "" (the root).
std::string join_relative(std::string_view a, std::string_view b);

/// Opens directory `rel` (a clean relative path, "" for the root itself)
/// inside `root_fd`, O_RDONLY|O_DIRECTORY|O_CLOEXEC.
Result<UniqueFd> open_directory_in_root(int root_fd, std::string_view rel);

/// Like open_directory_in_root, creating missing directories with `mode`.
Result<UniqueFd> make_directories_in_root(int root_fd, std::string_view rel, mode_t mode);

/// Opens whatever `rel` resolves to inside `root_fd` (symlinks, the last
/// one too, resolved inside the root), as an O_PATH descriptor. ENOENT when
/// it doesn't exist.
Result<UniqueFd> resolve_in_root(int root_fd, std::string_view rel);
/// A mount target inside the root, as an O_PATH descriptor: `rel` resolved
/// inside the root and, when missing, created as a directory or an empty
/// file (mode 0755 / 0644) with its parents. A symlink met on the way, the
/// last component included, is followed inside the root, so a hostile image
/// can't point a mount at a host path. An existing target of the wrong type
/// (a file where a directory is mounted) is an ENOTDIR / EISDIR error.
Result<UniqueFd> open_mount_target_in_root(int root_fd, std::string_view rel, bool directory);
/// `rel` with every symlink on its way expanded inside the root, the last
/// component's too, as a clean relative path ("" for the root): a path to
/// open without meeting a symlink. ".." at the root stays at the root, as
/// the kernel resolves it under RESOLVE_IN_ROOT. From the first component
/// that doesn't exist on, the rest is kept as it is. ENOTDIR when a
/// non-directory has more components after it, ELOOP after 40 links.
Result<std::string> real_path_in_root(int root_fd, std::string_view rel);
/// For tests: when true, the walk is used even where openat2 works.
void force_path_walk_fallback(bool on);

}  // namespace skiff
