#include "linux/vfs_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/fs.h>

#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "image/layer_extract.h"

namespace skiff {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Copies the xattrs of `from` to `to` (both open files or directories),
// except overlay's own markers; the ones the kernel refuses here are skipped.
void copy_xattrs(int from, int to) {
  char names[4096];
  ssize_t length = ::flistxattr(from, names, sizeof names);
  for (ssize_t i = 0; i < length;) {
    std::string_view name(names + i);
    i += ssize_t(name.size()) + 1;
    if (is_overlay_xattr(name)) continue;
    char value[4096];
    ssize_t size = ::fgetxattr(from, name.data(), value, sizeof value);
    if (size >= 0) ::fsetxattr(to, name.data(), value, size_t(size), 0);
  }
}

// Regular file contents: a reflink where the file system shares blocks,
// else copy_file_range, else read and write.
Status copy_contents(int from, int to, off_t size, const std::string& rel) {
  if (::ioctl(to, FICLONE, from) == 0) return {};
  off_t done = 0;
  while (done < size) {
    ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, size_t(size - done), 0);
    if (n > 0) {
      done += n;
      continue;
    }
    if (n == 0) break;  // the file shrank
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return errno_error("copy `{}`", rel);
    char buffer[1 << 16];
    for (;;) {
      ssize_t r = ::read(from, buffer, sizeof buffer);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_error("read `{}`", rel);
      if (r == 0) return {};
      for (ssize_t w = 0; w < r;) {
        ssize_t k = ::write(to, buffer + w, size_t(r - w));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return errno_error("write `{}`", rel);
        w += k;
      }
    }
  }
  return {};
}

// One layer applied onto the copy. Paths are relative to the layer's and
// the copy's roots; every step is relative to an open directory with
// O_NOFOLLOW, so a symlink in either tree is an entry, never a way out.
class LayerCopier {
 public:
  explicit LayerCopier(int dest_root) : dest_root_(dest_root) {}

  Status merge(int src_dir, int dst_dir, const std::string& rel) {
    UniqueFd listing(::openat(src_dir, ".", kDirFlags));
    if (!listing) return errno_error("open `{}`", rel);
    DIR* dir = ::fdopendir(listing.get());
    if (!dir) return errno_error("read `{}`", rel);
    (void)listing.release();
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      TRY(merge_entry(src_dir, dst_dir, name, rel.empty() ? name : rel + "/" + name));
    }
    return {};
  }

  // The owner, mode, xattrs and times of `src` given to `dst` (open
  // directories or regular files). Owner first: chown clears set-ID bits.
  static void copy_attributes(int src, int dst, const struct stat& st) {
    (void)::fchown(dst, st.st_uid, st.st_gid);
    (void)::fchmod(dst, st.st_mode & 07777);
    copy_xattrs(src, dst);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    (void)::futimens(dst, times);
  }

 private:
  Status merge_entry(int src_dir, int dst_dir, const std::string& name, const std::string& rel) {
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("stat `{}`", rel);
    if (is_whiteout(st)) return remove_tree_at(dst_dir, name);

    struct stat existing;
    bool exists = ::fstatat(dst_dir, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd src(::openat(src_dir, name.c_str(), kDirFlags));
      if (!src) return errno_error("open `{}`", rel);
      // A directory replaces a non-directory; an opaque one hides what lower
      // layers put there.
      if (exists && (!S_ISDIR(existing.st_mode) || is_opaque_directory(src.get()))) {
        TRY(remove_tree_at(dst_dir, name));
        exists = false;
      }
      if (!exists && ::mkdirat(dst_dir, name.c_str(), 0700) != 0) return errno_error("create `{}`", rel);
      UniqueFd dst(::openat(dst_dir, name.c_str(), kDirFlags));
      if (!dst) return errno_error("open `{}`", rel);
      TRY(merge(src.get(), dst.get(), rel));
      copy_attributes(src.get(), dst.get(), st);  // after its entries, which change its mtime
      return {};
    }

    if (exists) TRY(remove_tree_at(dst_dir, name));
    // A second name of an inode copied earlier in this layer is a link to it.
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
      auto it = copied_.find(key);
      if (it != copied_.end()) {
        if (::linkat(dest_root_, it->second.c_str(), dst_dir, name.c_str(), 0) != 0)
          return errno_error("link `{}`", rel);
        return {};
      }
    }
    if (S_ISREG(st.st_mode)) {
      UniqueFd src(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!src) return errno_error("open `{}`", rel);
      UniqueFd dst(::openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!dst) return errno_error("create `{}`", rel);
      TRY(copy_contents(src.get(), dst.get(), st.st_size, rel));
      copy_attributes(src.get(), dst.get(), st);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(size_t(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
      if (n < 0) return errno_error("read link `{}`", rel);
      target.resize(size_t(n));
      if (::symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) return errno_error("create `{}`", rel);
      (void)::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      (void)::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      // Device nodes can't be made in a user namespace (extraction skipped
      // them already); a fifo can.
      if (::mknodat(dst_dir, name.c_str(), st.st_mode & (S_IFMT | 0777), st.st_rdev) != 0) return {};
      (void)::fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      (void)::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      (void)::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    } else {
      return {};  // a socket: nothing to copy
    }
    if (st.st_nlink > 1) copied_.emplace(key, rel);
    return {};
  }

  int dest_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> copied_;  // inode -> first name in the copy
};

}  // namespace

Status copy_tree_into(int src_dir, int dst_dir) {
  LayerCopier copier(dst_dir);
  TRY(copier.merge(src_dir, dst_dir, ""));
  struct stat st;
  if (::fstat(src_dir, &st) == 0) LayerCopier::copy_attributes(src_dir, dst_dir, st);
  return {};
}

Status ensure_vfs_root(const std::vector<std::string>& lower_dirs, const std::string& dest) {
  if (path_exists(dest)) return {};
  std::string tmp = dest + ".tmp";
  TRY(std::move(remove_tree(tmp)).wrap("remove an unfinished copy"));
  if (::mkdir(tmp.c_str(), 0700) != 0) return errno_error("create `{}`", tmp);
  UniqueFd root(::open(tmp.c_str(), kDirFlags));
  if (!root) return errno_error("open `{}`", tmp);
  for (auto layer = lower_dirs.rbegin(); layer != lower_dirs.rend(); ++layer) {
    UniqueFd src(::open(layer->c_str(), kDirFlags));
    if (!src) return errno_error("open layer `{}`", *layer);
    TRY(std::move(copy_tree_into(src.get(), root.get())).wrap("copy layer `{}`", *layer));
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) return errno_error("rename `{}`", tmp);
  return {};
}

}  // namespace skiff
