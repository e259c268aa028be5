#include "base/lock.h"

#include <fcntl.h>
#include <sys/file.h>

namespace skiff {

namespace {

Result<UniqueFd> open_lock_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno_error("open lock `{}`", path);
  return UniqueFd(fd);
}

int flock_op(FileLock::Mode mode) { return mode == FileLock::Mode::kShared ? LOCK_SH : LOCK_EX; }

}  // namespace

Result<FileLock> FileLock::acquire(const std::string& path, Mode mode) {
  UniqueFd fd = TRY(open_lock_file(path));
  while (::flock(fd.get(), flock_op(mode)) != 0) {
    if (errno != EINTR) return errno_error("lock `{}`", path);
  }
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
  return try_acquire_fd(TRY(open_lock_file(path)), path, mode);
}

Result<FileLock> FileLock::try_acquire_fd(UniqueFd fd, const std::string& what, Mode mode) {
  if (::flock(fd.get(), flock_op(mode) | LOCK_NB) == 0) return FileLock(std::move(fd));
  if (errno == EWOULDBLOCK) return FileLock();
  return errno_error("lock `{}`", what);
}

}  // namespace skiff
