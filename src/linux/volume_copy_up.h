// Docker's copy-up: a volume mounted for the first time, still empty, gets
// the image's content at its destination (owners, modes, times, xattrs,
// symlinks as symlinks, hard links), so `VOLUME /var/lib/db` over an image's
// files starts with those files.
//
// Run in the container's child, as root of its user namespace (where the
// image's owners are mapped), after the root is assembled and before any
// mount: the source is reached through the root's descriptor
// (linux/path_in_root.h), so a symlink at or under the destination never
// leads the copy out of the root, and nothing is written outside the volume.
//
// In the volume's folder (the parent of _data):
//   populated   made once a first copy-up ran: the volume is never filled again
//   .copy-up    the copy being made; renamed over the still empty _data when
//               complete, so a killed copy is redone, never half used
// A flock on the folder makes two containers starting at once copy once.
#pragma once

#include "base/error.h"
#include "linux/container_plan.h"

namespace skiff {

/// Fills `step.data_dir` from `step.target` inside the root open at
/// `root_fd`, unless the volume was filled (or found non-empty) before.
/// Nothing at the target, or something other than a directory, copies
/// nothing.
Status copy_up_volume(int root_fd, const CopyUpStep& step);

}  // namespace skiff
