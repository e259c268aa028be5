// flock(2)-based locks. A lock lives as long as its FileLock object and is
// released by the kernel if the process dies, so a crash never leaves a
// store locked.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  /// Opens (creating) `path` and waits for the lock.
  static Result<FileLock> acquire(const std::string& path, Mode mode = Mode::kExclusive);
  /// Like acquire but never waits: an empty optional-like lock when held
  /// elsewhere (held() is false), an Error only when the file can't be opened.
  static Result<FileLock> try_acquire(const std::string& path, Mode mode = Mode::kExclusive);
  /// Locks an already open descriptor (a directory fd works too).
  static Result<FileLock> try_acquire_fd(UniqueFd fd, const std::string& what,
                                         Mode mode = Mode::kExclusive);

  FileLock() = default;
  bool held() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  void release() { fd_.reset(); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace skiff
