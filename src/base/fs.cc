#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace skiff {

Result<UniqueFd> open_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory `{}`", path);
  return UniqueFd(fd);
}

Status make_directories(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return Error(ENOTDIR, fmt::format("create directory `{}`", path));
  }
  if (errno != ENOENT) return errno_error("create directory `{}`", path);
  TRY(make_directories(parent_path(path), mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return errno_error("create directory `{}`", path);
  return {};
}

Result<std::string> read_file(const std::string& path, size_t max_size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("open `{}`", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read `{}`", path);
    }
    if (n == 0) break;
    if (out.size() + n > max_size)
      return make_error("read `{}`: larger than {} bytes", path, max_size);
    out.append(buf, n);
  }
  return out;
}

Result<std::string_view> read_file_at(int dir_fd, std::string_view dir_path, const std::string& path,
                                      std::string& buffer, size_t max_size) {
  UniqueFd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("open `{}/{}`", dir_path, path);
  // One byte more than allowed, so that a file of exactly max_size still
  // ends with a short read.
  if (buffer.size() < 16384) buffer.resize(std::min<size_t>(16384, max_size + 1));
  size_t length = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data() + length, buffer.size() - length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read `{}/{}`", dir_path, path);
    }
    length += size_t(n);
    if (length > max_size) return make_error("read `{}/{}`: larger than {} bytes", dir_path, path, max_size);
    if (length < buffer.size()) break;  // short: the end
    buffer.resize(std::min(buffer.size() * 2, max_size + 1));
  }
  return std::string_view(buffer.data(), length);
}

Status sync_directory(const std::string& path) {
  UniqueFd fd = TRY(open_directory(path));
  if (::fsync(fd.get()) != 0 && errno != EINVAL) return errno_error("sync directory `{}`", path);
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string random_hex(size_t length) {
  static const char kDigits[] = "0123456789abcdef";
  std::vector<unsigned char> bytes((length + 1) / 2);
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0) got += n;
  }
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  out.resize(length);
  return out;
}

std::string parent_path(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<AtomicFile> AtomicFile::create(const std::string& path, mode_t mode) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = dir + ".tmp-" + base + "-" + random_hex(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno_error("create `{}`", temp);
  return AtomicFile(path, std::move(temp), UniqueFd(fd));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::move(other.fd_)),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
}

AtomicFile::~AtomicFile() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write");
    }
    data.remove_prefix(size_t(n));
  }
  return {};
}

Status AtomicFile::write(std::string_view data) {
  Status written = write_all(fd_.get(), data);
  if (!written.ok()) return Error(written.error().errnum(), fmt::format("write `{}`", temp_path_));
  return {};
}

Status AtomicFile::commit() {
  if (::fsync(fd_.get()) != 0) return errno_error("sync `{}`", temp_path_);
  fd_.reset();
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    return errno_error("rename `{}` to `{}`", temp_path_, path_);
  committed_ = true;
  return sync_directory(parent_path(path_));
}

Status AtomicFile::commit_quickly() {
  fd_.reset();
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    return errno_error("rename `{}` to `{}`", temp_path_, path_);
  committed_ = true;
  return {};
}

Status write_file_quickly(const std::string& path, std::string_view content, mode_t mode) {
  AtomicFile file = TRY(AtomicFile::create(path, mode));
  TRY(file.write(content));
  return file.commit_quickly();
}

Status write_file_atomically(const std::string& path, std::string_view content, mode_t mode) {
  AtomicFile file = TRY(AtomicFile::create(path, mode));
  TRY(file.write(content));
  return file.commit();
}

namespace {

// Empties the directory open at `fd` (named `path` for messages), depth first.
Status remove_contents(int fd, const std::string& path) {
  // Make sure we may list and unlink inside it: an image may ship 0500 dirs.
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700) ::fchmod(fd, st.st_mode | 0700);
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return errno_error("remove `{}`", path);
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return errno_error("remove `{}`", path);
  }
  std::vector<std::string> subdirs;
  Status status;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (::unlinkat(fd, entry->d_name, 0) == 0) continue;
    if (errno == EISDIR || errno == EPERM) {
      subdirs.emplace_back(name);
      continue;
    }
    if (errno != ENOENT) status = errno_error("remove `{}/{}`", path, name);
  }
  ::closedir(dir);
  for (const auto& name : subdirs) {
    std::string child = path + "/" + name;
    int child_fd = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child_fd < 0 && errno == EACCES && ::fchmodat(fd, name.c_str(), 0700, 0) == 0)
      child_fd = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);  // a 0000 dir
    if (child_fd < 0) {
      if (status.ok()) status = errno_error("remove `{}`", child);
      continue;
    }
    Status inner = remove_contents(child_fd, child);
    ::close(child_fd);
    if (!inner.ok() && status.ok()) status = inner;
    if (::unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT && status.ok())
      status = errno_error("remove `{}`", child);
  }
  return status;
}

}  // namespace

Result<std::vector<std::string>> list_directory(int dir_fd) {
  // A descriptor of its own: readdir moves the offset, which a dup shares.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory");
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return errno_error("read directory");
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int saved = errno;
  ::closedir(dir);
  if (saved != 0) return Error(saved, "read directory");
  return names;
}

namespace {

uint64_t usage_of(int fd) {
  uint64_t total = 0;
  int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return 0;
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return 0;
  }
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    total += uint64_t(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      int child = ::openat(fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child >= 0) {
        total += usage_of(child);
        ::close(child);
      }
    }
  }
  ::closedir(dir);
  return total;
}

}  // namespace

Status remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return errno_error("remove `{}`", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove `{}`", path);
    return {};
  }
  {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno_error("remove `{}`", path);
    TRY(remove_contents(fd.get(), path));
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove `{}`", path);
  return {};
}

uint64_t tree_disk_usage(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  uint64_t total = uint64_t(st.st_blocks) * 512;
  if (!S_ISDIR(st.st_mode)) return total;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd) total += usage_of(fd.get());
  return total;
}

}  // namespace skiff

namespace skiff {

Status remove_tree_at(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM) return errno_error("remove `{}`", name);
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_error("remove `{}`", name);
  Status status = remove_contents(fd, name);
  ::close(fd);
  TRY(std::move(status));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return errno_error("remove `{}`", name);
  return {};
}

}  // namespace skiff
