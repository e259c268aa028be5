// skiff export: a container's file system as a tar, as its processes see /
// (the image's layers with what the container changed), without its
// volumes, /proc, /dev, or the files skiff binds in (/etc/hosts, ...).
#pragma once

#include <string>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

/// Streams the file system of `container` as a tar into `out` (then
/// finish()): its root mounted read-only, the way its storage driver does,
/// in a child in the user namespace and a mount namespace of its own, then
/// written with write_tree_tar_at. A running container is read as it is.
Status export_container(const Store& store, const Container& container, ByteSink& out);

struct ExportOptions {
  std::string container;  ///< name or ID
  std::string output;     ///< a file, written under a temporary name; "" or "-" for stdout
};

/// skiff export: the tar into `output` (complete, or not there at all) or
/// onto stdout, which must not be a terminal.
Status export_container_to(const Store& store, const ExportOptions& options);

}  // namespace skiff
