// A compressed stream, read back inflated through a descriptor: for readers
// that pull (libarchive reading an image archive) where the inflater
// (InflatingSink) is pushed. A child process reads the source, inflates it
// (gzip, zstd, or nothing when it isn't compressed: InflatingSink detects)
// and writes a pipe; a process rather than a thread, so the caller may go on
// forking extractors.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "linux/child_process.h"
#include "linux/sync_socket.h"

namespace skiff {

class InflatingPipe {
 public:
  /// Starts inflating `fd` (read from where it is); `what` names it in errors.
  static Result<InflatingPipe> start(int fd, const std::string& what);

  /// The read end: the inflated bytes, then end of file.
  int fd() const { return read_end_.get(); }

  /// Reads what is left, closes the read end and waits for the child:
  /// its error when the source was unreadable or corrupt.
  Status finish();

  /// Like finish() without reading what is left: for a reader that failed.
  /// The child's own error (corrupt data), not one caused by the early close;
  /// a child that says nothing within a second is killed.
  Status abandon();

 private:
  InflatingPipe(UniqueFd read_end, ChildProcess child, SyncSocket sock)
      : read_end_(std::move(read_end)), child_(std::move(child)), sock_(std::move(sock)) {}
  Status wait();
  UniqueFd read_end_;
  ChildProcess child_;
  SyncSocket sock_;
};

/// True when the file at `fd` starts with a gzip, zstd, xz or bzip2 magic
/// number (read with pread at `offset`; the position is unchanged).
bool starts_compressed(int fd, off_t offset);

}  // namespace skiff
