#include "linux/volume_copy_up.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "linux/path_in_root.h"
#include "linux/vfs_root.h"

namespace skiff {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr const char kPopulated[] = "populated";
constexpr const char kCopy[] = ".copy-up";

Status mark_populated(int volume_fd) {
  UniqueFd marker(::openat(volume_fd, kPopulated, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!marker) return errno_error("mark the volume filled");
  return {};
}

}  // namespace

Status copy_up_volume(int root_fd, const CopyUpStep& step) {
  std::string volume = parent_path(step.data_dir);
  auto fail = [&](Error e) {
    return std::move(e).wrap("copy the image's `/{}` into its volume", step.target);
  };

  // Child: root of the user namespace, which owns the volume's folder (our
  // own host user). Wait for any other container filling the same volume.
  UniqueFd volume_fd(::open(volume.c_str(), kDirFlags));
  if (!volume_fd) return fail(errno_error("open `{}`", volume));
  if (::flock(volume_fd.get(), LOCK_EX) != 0) return fail(errno_error("lock `{}`", volume));
  if (::faccessat(volume_fd.get(), kPopulated, F_OK, AT_SYMLINK_NOFOLLOW) == 0) return {};

  // Only an empty volume is filled (docker's rule): one written through a
  // nocopy mount keeps what it has.
  UniqueFd data(::openat(volume_fd.get(), "_data", kDirFlags));
  if (!data) return fail(errno_error("open `{}`", step.data_dir));
  auto entries = list_directory(data.get());
  if (!entries.ok()) return fail(std::move(entries).error());
  if (!entries->empty()) return mark_populated(volume_fd.get());

  // The source, resolved inside the root: a symlink at the destination is
  // followed as the container would see it. Nothing there, nothing to copy.
  auto source = open_directory_in_root(root_fd, step.target);
  if (!source.ok()) {
    int err = source.error().errnum();
    if (err == ENOENT || err == ENOTDIR) return mark_populated(volume_fd.get());
    return fail(std::move(source).error());
  }

  // A copy killed before the rename left its half: start again.
  if (Status removed = remove_tree_at(volume_fd.get(), kCopy); !removed.ok())
    return fail(std::move(removed).error());
  if (::mkdirat(volume_fd.get(), kCopy, 0700) != 0) return fail(errno_error("create `{}/{}`", volume, kCopy));
  UniqueFd copy(::openat(volume_fd.get(), kCopy, kDirFlags));
  if (!copy) return fail(errno_error("open `{}/{}`", volume, kCopy));
  if (Status copied = copy_tree_into(source->get(), copy.get()); !copied.ok())
    return fail(std::move(copied).error());

  // rename(2) replaces an empty directory whole: the volume is either still
  // empty or complete. Written meanwhile (a nocopy mount), it keeps that.
  if (::renameat(volume_fd.get(), kCopy, volume_fd.get(), "_data") != 0) {
    if (errno != ENOTEMPTY && errno != EEXIST) return fail(errno_error("rename `{}/{}`", volume, kCopy));
    (void)remove_tree_at(volume_fd.get(), kCopy);
  }
  return mark_populated(volume_fd.get());
}

}  // namespace skiff
