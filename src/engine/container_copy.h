// skiff cp: files and folders between a container and the host, or a tar
// stream on stdin or stdout, with docker's path rules.
//
// The container's side runs in a child that sees the container's files as
// its processes do: inside a running container's user and mount namespaces
// (linux/namespace_join.h), so its volumes and tmpfs mounts are there; for
// one that isn't running, in namespaces of its own where its root is
// assembled writably as a start would, with its bind volumes
// (linux/root_view.h). Paths inside are resolved by descriptor inside the
// root (linux/path_in_root.h): no symlink leads out of it.
//
// The bytes travel as a tar through a pipe, written by image/layer_tar.h and
// read by image/layer_extract.h in cp mode. Parent and child agree on where
// it goes over a socket:
//   child  -> parent  kValue  what the container's path is (JSON), or kError
//   parent -> child   kValue  the decision (JSON), or kError: give up
//   (the tar, through the pipe)
//   child  -> parent  kOk (its result, JSON) or kError
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

/// One side of a copy as typed: `CONTAINER:PATH`, a host path, or "-".
struct CopyEndpoint {
  std::string container;  ///< "" on the host
  std::string path;       ///< "-": a tar stream (stdin as a source, stdout as a destination)
};

/// docker's reading of an argument: a path that starts with "/" or "." is
/// the host's, whatever colons follow; otherwise `NAME:PATH` names a
/// container, and an argument without a colon is a host path.
CopyEndpoint parse_copy_endpoint(const std::string& argument);

/// What a copy's source is.
struct CopySource {
  std::string base;  ///< its last name as typed ("" for the root)
  bool is_dir = false;
  bool contents_only = false;  ///< SRC ended in "/." (or is the root): a folder's contents
};

/// What a copy's destination is.
struct CopyTarget {
  bool exists = false;
  bool is_dir = false;
  bool trailing_slash = false;  ///< DEST ended in "/": it must be a folder
  std::string base;             ///< its last name, symlinks resolved
};

/// Where the tar is extracted and what its top entry is called.
struct CopyPlan {
  bool into_parent = false;  ///< into DEST's folder (DEST is created or replaced), else into DEST
  std::string as_name;       ///< the top entry's name; "" a folder's contents only
};

/// docker's rules (pure):
///   a file   -> an existing folder: into it, by the source's name;
///            -> an existing file or a missing path: written at DEST
///               (a missing DEST ending in "/" is an error);
///   a folder -> an existing file: an error;
///            -> an existing folder: into it by its name, or, with "/.",
///               its contents into it;
///            -> a missing path: created at DEST with the folder's contents.
Result<CopyPlan> plan_copy(const CopySource& source, const CopyTarget& target);

struct CopyOptions {
  std::string source;        ///< as typed (parse_copy_endpoint)
  std::string destination;   ///< as typed
  bool archive = false;      ///< -a: copied in, files keep the source's uid and gid
  bool follow_link = false;  ///< -L: a source that is a symlink is followed
};

struct CopyResult {
  uint64_t bytes = 0;       ///< file content copied (0 for a tar stream read from stdin)
  std::string destination;  ///< as typed
  std::vector<std::string> warnings;
};

/// skiff cp. Exactly one side must name a container, which may be created,
/// running or exited. Copied in, files belong to the container's root (or
/// keep the source's IDs with `archive`); copied out, to the calling user.
Result<CopyResult> copy_files(const Store& store, const CopyOptions& options);

}  // namespace skiff
