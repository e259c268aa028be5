// A tar writer for layers and exports: POSIX ustar headers, with pax
// extended records only where ustar can't say it (long names, large IDs and
// sizes, xattrs as SCHILY.xattr.*), which is what libarchive's and Go's pax
// writers produce and every tar reader takes. Everything written comes from
// the header alone (no user or group names, no atime or ctime, mtime in whole
// seconds), so equal trees give equal bytes.
//
// Output is buffered; file contents are spliced from their descriptor
// straight into the output when it is a pipe.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace skiff {

struct TarHeader {
  std::string name;   ///< relative, without a trailing "/" (added for folders)
  char type = '0';    ///< '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' folder, '6' fifo
  uint32_t mode = 0;  ///< permission bits, set-ID and sticky (07777)
  uint64_t uid = 0;
  uint64_t gid = 0;
  uint64_t size = 0;  ///< of a file's content; 0 for everything else
  int64_t mtime = 0;  ///< seconds
  std::string link;   ///< hard link or symlink target
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

/// A header for an entry as lstat saw it, named `name`: its type (file,
/// folder, symlink, fifo), permissions, owner, mtime and a file's size;
/// the caller adds a link's target and a device's numbers.
TarHeader tar_header_from_stat(const std::string& name, const struct stat& st);

class TarWriter {
 public:
  /// Writes to `fd` (not owned).
  explicit TarWriter(int fd);
  TarWriter(const TarWriter&) = delete;

  /// An entry's header; a file's content must follow with write_content().
  Status write_header(const TarHeader& header);
  /// `size` bytes of the file open at `fd` (its header's size), from its
  /// start, then the padding. A file that turns out shorter is an error.
  Status write_content(int fd, uint64_t size, const std::string& name);
  /// A file's content from memory, in pieces that add up to its header's
  /// size; end_content() pads after the last piece.
  Status write_data(std::string_view data);
  Status end_content(uint64_t size);
  /// The two end blocks, and everything still buffered.
  Status finish();

 private:
  Status flush();
  void append(const char* data, size_t size) { buffer_.append(data, size); }
  void pad(uint64_t size);
  int fd_;
  std::string buffer_;
  bool pipe_ = false;
};

}  // namespace skiff
