// Layers back out as tar streams: for push, save and export.
//
// A layer's diff ID is the digest of the tar it was extracted from, and
// save, push and the image config all name layers by it, so a layer must
// come back out byte for byte. The extractor keeps a "tar recipe" beside
// each layer (layers/<chain>/tar-recipe): every byte of the stream that is
// not a regular file's content (headers, pax records, padding, the end
// blocks), and for each file's content where it lies in diff/. Replaying it
// reads the file contents from diff/ (in the user namespace: they may be
// owned by subordinate IDs) and checks the digest as it goes.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

/// Streams layer `chain_id`'s tar, identical to the one it was extracted
/// from (its digest is the layer's diff ID), into `out` (then finish()).
/// An error when the layer has no recipe or its files no longer match.
///
/// The bytes reach `out` before the last of them is checked: on an error,
/// `out` has had part of the stream and was not finished; discard it. A
/// child in the user namespace reads the files (they may be 0600 and owned
/// by subordinate IDs), through descriptors resolved inside diff/.
Status write_layer_tar(const Store& store, const std::string& chain_id, ByteSink& out);

/// True when layer `chain_id` has a tar recipe, so write_layer_tar can
/// rebuild its tar. Layers extracted before skiff kept recipes have none
/// (and a tar its parser could not follow leaves none): write_tree_tar of
/// the layer's diff/ is the fallback, with a new diff ID.
bool has_layer_tar_recipe(const Store& store, const std::string& chain_id);

struct TreeTarOptions {
  /// Overlay whiteouts (0/0 character devices, opaque xattrs) become OCI
  /// `.wh.` entries (a layer made from an upper directory); otherwise the
  /// tree is written as it is (a container's merged view, for export).
  bool oci_whiteouts = false;
  /// Entries left out (with what is under them): `rel` as in the tar.
  std::function<bool(const std::string& rel, const struct stat& st)> skip;
};

/// Streams the directory tree at `dir` as a tar (sorted names, so the same
/// tree gives the same bytes), read inside the user namespace, into `out`
/// (then finish()).
///
/// Names are relative ("etc/", "etc/passwd"; the root itself is not an
/// entry), in the pax format of image/tar_writer.h. Owners are numeric, as
/// the user namespace sees them; mtimes are whole seconds; xattrs are kept
/// except overlay's own (is_overlay_xattr); a second name of a file already
/// written is a hard link to the first; sockets are left out.
Status write_tree_tar(const std::string& dir, const TreeTarOptions& options, ByteSink& out);

/// write_tree_tar's work, in this process and credentials: the tree open at
/// `root_fd` as a tar into `out_fd`. For a child that set up its own view
/// of a tree (export mounts a container's root first).
Status write_tree_tar_at(int root_fd, const TreeTarOptions& options, int out_fd);

/// An entry of a tree that changed: `rel` a clean relative path.
struct TreeChange {
  std::string rel;
  bool deleted = false;
};

/// The entries `changes` name (in walk order: a folder before what is in
/// it) of the tree open at `root_fd` as a tar into `out_fd`, each as
/// write_tree_tar_at writes it (xattrs, hard links to a name written
/// before) but a folder without what it holds; a deleted one as an OCI
/// whiteout. An entry gone since the list was made is left out.
Status write_changes_tar_at(int root_fd, const std::vector<TreeChange>& changes, int out_fd);

/// One entry of the folder open at `dir_fd` (`name`; "." for that folder
/// itself) as a tar into `out_fd`, named `as_name`, and, for a folder,
/// everything in it below `as_name/` (as write_tree_tar_at writes a tree,
/// nothing followed, no whiteouts made). An empty `as_name` writes only a
/// folder's contents. Returns the bytes of file content written (`skiff cp`).
Result<uint64_t> write_entry_tar_at(int dir_fd, const std::string& name, const std::string& as_name,
                                    int out_fd);

}  // namespace skiff
