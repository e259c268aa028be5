// File system helpers for the store: atomic replacement, directories, trees.
// Every descriptor is O_CLOEXEC; nothing here follows a symlink it removes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// Opens a directory (O_DIRECTORY|O_CLOEXEC, read-only).
Result<UniqueFd> open_directory(const std::string& path);

/// Creates `path` and its missing parents with `mode`; an existing directory is fine.
Status make_directories(const std::string& path, mode_t mode = 0700);

/// Reads a whole file; fails when it is larger than `max_size` bytes.
Result<std::string> read_file(const std::string& path, size_t max_size = 64 << 20);

/// Reads the file at `path`, relative to the folder `dir_path` open at
/// `dir_fd` (errors name `dir_path`/`path`), into `buffer`, reusing its
/// memory; returns the bytes read, a view into `buffer` valid until its next
/// use. A read shorter than asked is taken as the end (a regular file's read
/// is short only there), so a small file costs one open, one read and one
/// close. Fails when the file is larger than `max_size` bytes.
Result<std::string_view> read_file_at(int dir_fd, std::string_view dir_path, const std::string& path,
                                      std::string& buffer, size_t max_size);

/// Writes all of `data` to `fd` (retrying short writes and EINTR).
Status write_all(int fd, std::string_view data);

/// fsync()s a directory so a rename or unlink inside it is durable.
Status sync_directory(const std::string& path);

/// True when `path` exists (lstat: a dangling symlink exists).
bool path_exists(const std::string& path);

/// Random lowercase hex of `length` characters (getrandom).
std::string random_hex(size_t length);

/// A file written under a temporary name in the target's folder and made
/// visible by commit(): fsync, rename over the target, fsync the folder.
/// Destroyed uncommitted, the temporary file is unlinked.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& path, mode_t mode = 0600);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  int fd() const { return fd_.get(); }
  const std::string& temp_path() const { return temp_path_; }
  Status write(std::string_view data);
  Status commit();
  /// Renames without the fsyncs: atomic but not durable across a crash.
  Status commit_quickly();

 private:
  AtomicFile(std::string path, std::string temp_path, UniqueFd fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(std::move(fd)) {}
  std::string path_;
  std::string temp_path_;
  UniqueFd fd_;
  bool committed_ = false;
};

/// Replaces `path` with `content` atomically and durably.
Status write_file_atomically(const std::string& path, std::string_view content,
                             mode_t mode = 0600);

/// Replaces `path` with `content` atomically, without fsync: for state a
/// crash makes stale anyway (a process's "running").
Status write_file_quickly(const std::string& path, std::string_view content, mode_t mode = 0600);
/// Removes a file or a whole tree without following symlinks. A missing
/// path is not an error. Directories lacking write or search permission
/// are made writable first (the owner may always chmod).
Status remove_tree(const std::string& path);

/// The names in the directory open at `dir_fd`, without "." and "..", in
/// the order the file system returns them.
Result<std::vector<std::string>> list_directory(int dir_fd);

/// Bytes used on disk by a tree (st_blocks), not following symlinks;
/// unreadable parts are skipped.
uint64_t tree_disk_usage(const std::string& path);

/// Removes a trailing component: "/a/b/c" -> "/a/b".
std::string parent_path(const std::string& path);

}  // namespace skiff

namespace skiff {
/// Removes entry `name` (file or whole tree) inside the directory open at
/// `dir_fd`, without following symlinks.
Status remove_tree_at(int dir_fd, const std::string& name);
}  // namespace skiff
