// Tar archives a build reads: a context given as one (a file, or standard
// input), unpacked into a private temporary folder that is removed when
// done, and the reader ADD's local archives share with it.
// Nothing in the archive can write outside that folder (absolute names and
// `..` are refused, each member's folder is resolved inside it and the
// member itself never followed); owners are not restored (COPY gives files
// to root anyway).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

struct archive;
struct archive_entry;

namespace skiff {

class ContextFolder {
 public:
  /// Unpacks the archive read from `fd` (a tar as read_tar_members takes),
  /// whose first bytes `head` were already read from it.
  static Result<ContextFolder> unpack(int fd, std::string_view head, const std::string& what);
  /// An empty folder: the context of a Dockerfile given alone on stdin.
  static Result<ContextFolder> empty();
  ContextFolder(ContextFolder&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ContextFolder(const ContextFolder&) = delete;
  ~ContextFolder();
  const std::string& path() const { return path_; }

 private:
  ContextFolder() = default;
  std::string path_;
};

/// Reads the tar archive at `fd` (from where it is) with libarchive,
/// inflated on the way when it is compressed (gzip, zstd, xz, bzip2:
/// InflatingPipe), and hands `member` each member's header in order, the
/// archive positioned at its data. Corrupt compressed data shows as a cut
/// tar: the inflater's error is the one returned then. `what` names the
/// archive in errors.
Status read_tar_members(int fd, const std::string& what,
                        const std::function<Status(struct archive*, struct archive_entry*)>& member);

/// Where a build's temporary files and folders go: $TMPDIR, else /tmp.
std::string temp_folder();

/// Why an archive member's name would leave the folder it is unpacked
/// into (an absolute name, a `..` component), or "" when it stays inside.
std::string escapes_folder(const std::string& name);

/// True when `head` (the first bytes of a stream) starts a tar archive or a
/// compressed stream: what `skiff build -` tells from a Dockerfile.
bool looks_like_archive(std::string_view head);

}  // namespace skiff
