#include "image/tar_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

namespace skiff {

namespace {

constexpr size_t kBlock = 512;
constexpr size_t kFlushAt = 1 << 20;
// Contents up to this size are read into the buffer; larger ones are
// spliced, which saves a copy but costs a flush and more system calls.
constexpr uint64_t kSpliceFrom = 256 << 10;

// Octal digits filling width-1 bytes, then a NUL, as tar writers do.
void put_octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = char('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

bool fits_octal(uint64_t value, size_t width) { return value < (uint64_t(1) << (3 * (width - 1))); }

// "<length> key=value\n", the length counting itself.
std::string pax_record(std::string_view key, std::string_view value) {
  size_t base = key.size() + value.size() + 3;
  size_t length = base + 1;
  while (std::to_string(length).size() + base != length) length = std::to_string(length).size() + base;
  std::string out = std::to_string(length);
  out += ' ';
  out += key;
  out += '=';
  out += value;
  out += '\n';
  return out;
}

// A name in ustar's prefix (155) and name (100) fields, split at a '/'.
std::optional<std::pair<std::string, std::string>> split_ustar_name(const std::string& path) {
  if (path.size() <= 100) return std::pair<std::string, std::string>{"", path};
  if (path.size() > 256) return std::nullopt;
  for (size_t i = path.size() - 101; i <= std::min<size_t>(155, path.size() - 2); i++)
    if (i > 0 && path[i] == '/') return std::pair<std::string, std::string>{path.substr(0, i), path.substr(i + 1)};
  return std::nullopt;
}

// A ustar header block; fields that don't fit are left zero (the caller
// writes them as pax records).
void make_block(char* h, const std::string& name, const std::string& prefix, char type, uint32_t mode,
                uint64_t uid, uint64_t gid, uint64_t size, int64_t mtime, const std::string& link,
                uint32_t devmajor, uint32_t devminor) {
  std::memset(h, 0, kBlock);
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  put_octal(h + 100, 8, mode & 07777);
  put_octal(h + 108, 8, fits_octal(uid, 8) ? uid : 0);
  put_octal(h + 116, 8, fits_octal(gid, 8) ? gid : 0);
  put_octal(h + 124, 12, fits_octal(size, 12) ? size : 0);
  put_octal(h + 136, 12, mtime >= 0 && fits_octal(uint64_t(mtime), 12) ? uint64_t(mtime) : 0);
  h[156] = type;
  if (link.size() <= 100) std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar\0" "00", 8);
  put_octal(h + 329, 8, fits_octal(devmajor, 8) ? devmajor : 0);
  put_octal(h + 337, 8, fits_octal(devminor, 8) ? devminor : 0);
  std::memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(h + 148, ' ', 8);
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; i++) sum += static_cast<unsigned char>(h[i]);
  put_octal(h + 148, 7, sum);  // six digits and a NUL, then the space already there
}

}  // namespace

TarWriter::TarWriter(int fd) : fd_(fd) {
  struct stat st;
  pipe_ = ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
  buffer_.reserve(kFlushAt + 2 * kSpliceFrom);
}

Status TarWriter::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write the tar");
    done += size_t(n);
  }
  buffer_.clear();
  return {};
}

void TarWriter::pad(uint64_t size) { buffer_.append((kBlock - size % kBlock) % kBlock, '\0'); }

Status TarWriter::write_header(const TarHeader& header) {
  std::string name = header.name + (header.type == '5' ? "/" : "");
  std::string records;
  auto split = split_ustar_name(name);
  if (!split) records += pax_record("path", name);
  if (header.link.size() > 100) records += pax_record("linkpath", header.link);
  if (!fits_octal(header.size, 12)) records += pax_record("size", std::to_string(header.size));
  if (!fits_octal(header.uid, 8)) records += pax_record("uid", std::to_string(header.uid));
  if (!fits_octal(header.gid, 8)) records += pax_record("gid", std::to_string(header.gid));
  if (header.mtime < 0 || !fits_octal(uint64_t(header.mtime), 12))
    records += pax_record("mtime", std::to_string(header.mtime));
  if (!fits_octal(header.devmajor, 8)) records += pax_record("SCHILY.devmajor", std::to_string(header.devmajor));
  if (!fits_octal(header.devminor, 8)) records += pax_record("SCHILY.devminor", std::to_string(header.devminor));
  for (const auto& [key, value] : header.xattrs) records += pax_record("SCHILY.xattr." + key, value);

  char block[kBlock];
  if (!records.empty()) {
    // The extended header's own name only has to be a name: libarchive's
    // "PaxHeader/<file>", cut to fit.
    std::string base = name.substr(name.find_last_of('/', name.size() - 2) + 1);
    std::string pax_name = ("PaxHeader/" + base).substr(0, 100);
    int64_t mtime = std::max<int64_t>(0, std::min<int64_t>(header.mtime, 077777777777));
    make_block(block, pax_name, "", 'x', 0644, 0, 0, records.size(), mtime, "", 0, 0);
    append(block, kBlock);
    buffer_ += records;
    pad(records.size());
  }
  std::string ustar_name = split ? split->second : name.substr(0, 100);
  std::string prefix = split ? split->first : "";
  make_block(block, ustar_name, prefix, header.type, header.mode, header.uid, header.gid, header.size, header.mtime,
             header.link, header.devmajor, header.devminor);
  append(block, kBlock);
  if (buffer_.size() >= kFlushAt) TRY(flush());
  return {};
}

Status TarWriter::write_content(int fd, uint64_t size, const std::string& name) {
  auto shorter = [&] { return make_error("`{}` changed while it was read: it is shorter than its {} bytes", name, size); };
  uint64_t done = 0;
  if (pipe_ && size >= kSpliceFrom) {
    TRY(flush());
    loff_t offset = 0;
    while (done < size) {
      ssize_t n = ::splice(fd, &offset, fd_, nullptr, size_t(std::min<uint64_t>(size - done, 1 << 30)), SPLICE_F_MORE);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) break;  // a file system that can't: read it
      if (n < 0) return errno_error("read `{}`", name);
      if (n == 0) return shorter();
      done += uint64_t(n);
    }
    if (done < size && ::lseek(fd, off_t(done), SEEK_SET) < 0) return errno_error("read `{}`", name);
  }
  while (done < size) {
    size_t want = size_t(std::min<uint64_t>(size - done, kFlushAt));
    size_t old = buffer_.size();
    buffer_.resize(old + want);
    ssize_t n = ::read(fd, buffer_.data() + old, want);
    buffer_.resize(old + size_t(std::max<ssize_t>(n, 0)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read `{}`", name);
    if (n == 0) return shorter();
    done += uint64_t(n);
    if (buffer_.size() >= kFlushAt) TRY(flush());
  }
  pad(size);
  if (buffer_.size() >= kFlushAt) TRY(flush());
  return {};
}

TarHeader tar_header_from_stat(const std::string& name, const struct stat& st) {
  TarHeader h;
  h.name = name;
  h.mode = st.st_mode & 07777;
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  h.mtime = st.st_mtim.tv_sec;
  h.type = S_ISDIR(st.st_mode)    ? '5'
           : S_ISLNK(st.st_mode)  ? '2'
           : S_ISFIFO(st.st_mode) ? '6'
           : S_ISCHR(st.st_mode)  ? '3'
           : S_ISBLK(st.st_mode)  ? '4'
                                  : '0';
  if (S_ISREG(st.st_mode)) h.size = uint64_t(st.st_size);
  return h;
}

Status TarWriter::write_data(std::string_view data) {
  append(data.data(), data.size());
  return buffer_.size() >= kFlushAt ? flush() : Status();
}

Status TarWriter::end_content(uint64_t size) {
  pad(size);
  return buffer_.size() >= kFlushAt ? flush() : Status();
}

Status TarWriter::finish() {
  buffer_.append(2 * kBlock, '\0');
  return flush();
}

}  // namespace skiff
