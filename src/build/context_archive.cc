#include "build/context_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "base/fs.h"
#include "image/inflating_pipe.h"
#include "linux/path_in_root.h"

namespace skiff {

namespace {

struct ReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

}  // namespace

std::string escapes_folder(const std::string& name) {
  if (name.starts_with("/")) return "an absolute name";
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    if (j - i == 2 && name.compare(i, 2, "..") == 0) return "it climbs out with ..";
    i = j + 1;
  }
  return "";
}

bool looks_like_archive(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x1f\x8b") || starts("BZh") || starts("\xfd" "7zXZ") || starts("\x28\xb5\x2f\xfd")) return true;
  return head.size() >= 262 && head.substr(257, 5) == "ustar";
}

std::string temp_folder() {
  const char* tmp = ::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

Result<ContextFolder> ContextFolder::empty() {
  std::string pattern = temp_folder() + "/skiff-build-XXXXXX";
  if (!::mkdtemp(pattern.data())) return errno_error("make a folder for the build context");
  ContextFolder folder;
  folder.path_ = pattern;
  return folder;
}

namespace {

// A descriptor reading the whole archive from its first byte: `fd` itself
// when it can seek back, else a temporary copy of `head` and the rest.
Result<UniqueFd> from_start(int fd, std::string_view head) {
  if (::lseek(fd, 0, SEEK_SET) == 0) {
    UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!dup) return errno_error("duplicate a descriptor");
    return dup;
  }
  UniqueFd copy(::open(temp_folder().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!copy) return errno_error("make a temporary file for the context");
  TRY(write_all(copy.get(), head));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read the context");
    if (n == 0) break;
    TRY(write_all(copy.get(), std::string_view(buf, size_t(n))));
  }
  if (::lseek(copy.get(), 0, SEEK_SET) != 0) return errno_error("rewind the context's copy");
  return copy;
}

// Writes one member under the folder open at `root`: its folder resolved
// inside the root (symlinks included), the member itself replacing
// whatever had its name, never followed.
Status write_member(struct archive* in, struct archive_entry* e, int root, const std::string& rel,
                    std::vector<std::pair<std::string, mode_t>>& folder_modes) {
  mode_t type = archive_entry_filetype(e);
  mode_t mode = archive_entry_perm(e) & 07777;
  UniqueFd parent = TRY(make_directories_in_root(root, relative_parent(rel), 0755));
  std::string base = relative_base(rel);
  if (type == AE_IFDIR) {
    if (::mkdirat(parent.get(), base.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("make `{}`", rel);
    folder_modes.emplace_back(rel, mode);
    return {};
  }
  (void)::unlinkat(parent.get(), base.c_str(), 0);
  if (const char* hard = archive_entry_hardlink(e)) {
    std::string target = clean_clamped_path(hard);
    UniqueFd tparent = TRY(open_directory_in_root(root, relative_parent(target)));
    if (::linkat(tparent.get(), relative_base(target).c_str(), parent.get(), base.c_str(), 0) != 0)
      return errno_error("link `{}` to `{}`", rel, target);
    return {};
  }
  if (type == AE_IFLNK) {
    const char* target = archive_entry_symlink(e);
    if (::symlinkat(target ? target : "", parent.get(), base.c_str()) != 0) return errno_error("make link `{}`", rel);
  } else if (type == AE_IFIFO) {
    if (::mkfifoat(parent.get(), base.c_str(), mode) != 0) return errno_error("make `{}`", rel);
  } else if (type == AE_IFREG) {
    UniqueFd out(::openat(parent.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return errno_error("create `{}`", rel);
    const void* block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
      if (::lseek(out.get(), offset, SEEK_SET) < 0) return errno_error("write `{}`", rel);
      TRY(write_all(out.get(), std::string_view(static_cast<const char*>(block), size)));
    }
    if (r != ARCHIVE_EOF) return make_error("read `{}`: {}", rel, archive_error_string(in));
    if (::ftruncate(out.get(), archive_entry_size(e)) != 0 || ::fchmod(out.get(), mode) != 0)
      return errno_error("write `{}`", rel);
  } else {
    return {};  // device nodes and sockets: a context needs none
  }
  struct timespec times[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
  (void)::utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW);
  return {};
}

}  // namespace

Status read_tar_members(int fd, const std::string& what,
                        const std::function<Status(struct archive*, struct archive_entry*)>& member) {
  InflatingPipe inflated = TRY(InflatingPipe::start(fd, what));
  std::unique_ptr<struct archive, ReadFree> in(archive_read_new());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_empty(in.get());
  archive_read_support_filter_none(in.get());
  auto read = [&]() -> Status {
    if (archive_read_open_fd(in.get(), inflated.fd(), 1 << 16) != ARCHIVE_OK)
      return make_error("read {}: {}", what, archive_error_string(in.get()));
    for (;;) {
      struct archive_entry* e = nullptr;
      int r = archive_read_next_header(in.get(), &e);
      if (r == ARCHIVE_EOF) return {};
      if (r < ARCHIVE_WARN) return make_error("read {}: {}", what, archive_error_string(in.get()));
      TRY(member(in.get(), e));
    }
  };
  Status status = read();
  if (!status.ok()) {
    Status inflater = inflated.abandon();
    return inflater.ok() ? status : std::move(inflater).error().wrap("read {}", what);
  }
  return inflated.finish();
}

Result<ContextFolder> ContextFolder::unpack(int fd, std::string_view head, const std::string& what) {
  ContextFolder folder = TRY(empty());
  UniqueFd source = TRY(from_start(fd, head));
  UniqueFd root = TRY(open_directory(folder.path_));
  std::vector<std::pair<std::string, mode_t>> folder_modes;
  TRY(read_tar_members(source.get(), what, [&](struct archive* in, struct archive_entry* e) -> Status {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    const char* hard = archive_entry_hardlink(e);
    for (const std::string& n : {name, std::string(hard ? hard : "")})
      if (std::string why = escapes_folder(n); !why.empty())
        return make_error("unpack {}: unsafe name `{}`: {}", what, n, why);
    std::string rel = clean_clamped_path(name);
    if (rel.empty()) return {};  // "./" itself
    return std::move(write_member(in, e, root.get(), rel, folder_modes)).wrap("unpack {}", what);
  }));
  // Folders get their modes last: a read-only one was still written into.
  for (auto it = folder_modes.rbegin(); it != folder_modes.rend(); ++it)
    (void)::fchmodat(root.get(), it->first.c_str(), it->second, 0);
  return folder;
}

ContextFolder::~ContextFolder() {
  if (!path_.empty()) (void)remove_tree(path_);
}

}  // namespace skiff
