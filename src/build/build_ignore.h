// The build context: `.dockerignore` patterns and the walk of a context
// directory, as `skiff build` sends it to its executor.
//
// Patterns follow Docker's rules
// (https://docs.docker.com/build/concepts/context/#dockerignore-files): one
// per line, Go filepath.Match syntax plus `**` for any number of directories;
// a pattern that matches a directory matches everything under it; the last
// pattern that matches a path decides, and a `!` pattern re-includes.
// The walk never follows a symlink and never leaves the context: each
// directory is opened with openat(O_NOFOLLOW) on one name inside its parent.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

/// Go's filepath.Clean on a slash path: "./a//b/../c/" -> "a/c", "" -> ".".
std::string clean_path(std::string_view path);

/// One pattern line of an ignore file.
struct IgnorePattern {
  std::string text;        ///< cleaned, without the `!` and without a leading `/`
  bool exclusion = false;  ///< a `!` line: re-includes what it matches
  int line = 0;            ///< 1-based line in the ignore file
};

/// The compiled patterns of one ignore file: immutable, cheap to copy.
/// Paths given to it are clean, relative and slash-separated ("src/a.c").
class IgnoreMatcher {
 public:
  /// A matcher that excludes nothing.
  IgnoreMatcher();

  /// Parses an ignore file's text; a pattern that cannot match (an unclosed
  /// `[`, a trailing `\`, a lone `!`) fails with "<source>:<line>: ...".
  static Result<IgnoreMatcher> parse(std::string_view text, std::string_view source = ".dockerignore");

  /// True when the last pattern matching `path` or one of its parent
  /// directories is not a `!` pattern. The context root ("" or ".") never is.
  bool excluded(std::string_view path) const;

  /// False only when no `!` pattern after the last pattern matching `dir`
  /// (or a parent) can match anything under `dir`: an excluded `dir` may
  /// then be skipped whole. True may be a false alarm, never a wrong skip.
  bool may_reinclude_under(std::string_view dir) const;

  bool empty() const { return patterns_.empty(); }
  const std::vector<IgnorePattern>& patterns() const { return patterns_; }

 private:
  struct Program;  // the compiled form, in build_ignore.cc
  std::vector<IgnorePattern> patterns_;
  std::shared_ptr<const Program> program_;
};

/// One entry of a build context, as lstat(2) saw it.
struct ContextEntry {
  std::string path;      ///< relative to the context root, slash-separated: "src/a.c"
  mode_t mode = 0;       ///< st_mode: file type and permission bits
  uint64_t size = 0;     ///< st_size (a symlink: the length of its target)
  int64_t mtime_ns = 0;  ///< st_mtim, nanoseconds since the epoch
  uid_t uid = 0;
  gid_t gid = 0;
  ino_t inode = 0;
  dev_t device = 0;          ///< st_dev: with `inode`, tells hard links apart
  nlink_t links = 0;         ///< st_nlink
  dev_t rdev = 0;            ///< a device node's number
  std::string link_target;   ///< a symlink's target, as readlink(2) gives it
  bool parent_only = false;  ///< excluded itself; listed because an entry under it is re-included

  bool is_directory() const { return S_ISDIR(mode); }
  bool is_regular() const { return S_ISREG(mode); }
  bool is_symlink() const { return S_ISLNK(mode); }
};

/// Every entry under the directory open at `root_fd` that `ignore` does not
/// exclude, without the root itself: a directory before what it holds, names
/// in byte order within a directory. Symlinks are listed, never followed.
/// Reads no file's contents; `root_fd` is not moved. An entry that cannot be
/// read fails with its path; an excluded one that cannot be read is skipped
/// (as Docker does), and an entry removed during the walk is left out.
Result<std::vector<ContextEntry>> walk_context(int root_fd, const IgnoreMatcher& ignore);

/// walk_context() of the directory at `root`; errors name `root`.
Result<std::vector<ContextEntry>> walk_context(const std::string& root, const IgnoreMatcher& ignore);

/// The ignore file for `dockerfile` (a path as given, "" or "-" for stdin)
/// in `context_dir`: "<dockerfile>.dockerignore" beside the Dockerfile, else
/// `.dockerignore`, else `.containerignore` at the context root; nullopt
/// when there is none.
Result<std::optional<std::string>> find_ignore_file(const std::string& context_dir,
                                                    const std::string& dockerfile);

/// Reads and parses the file find_ignore_file() picks (errors name it); a
/// matcher that excludes nothing when there is none. Docker always sends the
/// Dockerfile and the ignore file whatever they say: that is the caller's call.
Result<IgnoreMatcher> load_ignore_file(const std::string& context_dir, const std::string& dockerfile);

}  // namespace skiff
