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

/// Opens directory `rel` (a clean relative path, "" for the root itself)
/// inside `root_fd`, O_RDONLY|O_DIRECTORY|O_CLOEXEC.
Result<UniqueFd> open_directory_in_root(int root_fd, std::string_view rel);

/// Like open_directory_in_root, creating missing directories with `mode`.
Result<UniqueFd> make_directories_in_root(int root_fd, std::string_view rel, mode_t mode);

/// For tests: when true, the walk is used even where openat2 works.
void force_path_walk_fallback(bool on);

}  // namespace skiff
