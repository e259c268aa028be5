#include "image/spool_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/fs.h"

namespace skiff {

namespace {

Status write_all(int fd, std::span<const uint8_t> data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write {}", what);
    }
    data = data.subspan(size_t(n));
  }
  return {};
}

}  // namespace

Result<SpoolFile> SpoolFile::create(const Store& store) {
  // Named for the instant between open and unlink, with the prefix that
  // Store::collect_garbage removes should we die in between.
  std::string path = store.blobs_dir() + "/.tmp-spool-" + random_hex(16);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return errno_error("create a spool file in `{}`", store.blobs_dir());
  ::unlink(path.c_str());
  return SpoolFile(std::move(fd));
}

SpoolFile::Mapping::~Mapping() {
  if (data_ && size_ > 0) ::munmap(data_, size_);
}

Result<SpoolFile::Mapping> SpoolFile::map() const {
  if (size_ == 0) return Mapping(nullptr, 0);
  void* data = ::mmap(nullptr, size_t(size_), PROT_READ, MAP_SHARED, fd_.get(), 0);
  if (data == MAP_FAILED) return errno_error("map the spool file");
  return Mapping(data, size_t(size_));
}

Status SpoolFile::write(std::span<const uint8_t> data) {
  TRY(write_all(fd_.get(), data, "the spool file"));
  size_ += data.size();
  return {};
}

Status SpoolFile::read_into(uint64_t offset, uint64_t size, ByteSink& sink) const {
  std::vector<uint8_t> buf(std::min<uint64_t>(size, 1 << 20));
  while (size > 0) {
    ssize_t n = ::pread(fd_.get(), buf.data(), std::min<uint64_t>(size, buf.size()), off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read the spool file");
    }
    if (n == 0) return make_error("the spool file is shorter than what was written to it");
    TRY(sink.write({buf.data(), size_t(n)}));
    offset += uint64_t(n);
    size -= uint64_t(n);
  }
  return {};
}

Status FileSink::write(std::span<const uint8_t> data) { return write_all(fd_, data, what_); }

}  // namespace skiff
