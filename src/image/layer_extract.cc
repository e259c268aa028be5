#include "image/layer_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "linux/path_in_root.h"

namespace skiff {

Json ExtractReport::to_json() const {
  return Json{{"entries", entries},
              {"bodies", bodies},
              {"bodies_digest", bodies_digest},
              {"stashed_bodies", stashed_bodies},
              {"unmapped_owners", unmapped_owners},
              {"skipped_devices", skipped_devices},
              {"first_unmapped", first_unmapped},
              {"first_device", first_device}};
}

ExtractReport ExtractReport::from_json(const Json& json) {
  ExtractReport r;
  r.entries = json.value("entries", uint64_t(0));
  r.bodies = json.value("bodies", uint64_t(0));
  r.bodies_digest = json.value("bodies_digest", "");
  r.stashed_bodies = json.value("stashed_bodies", uint64_t(0));
  r.unmapped_owners = json.value("unmapped_owners", uint64_t(0));
  r.skipped_devices = json.value("skipped_devices", uint64_t(0));
  r.first_unmapped = json.value("first_unmapped", "");
  r.first_device = json.value("first_device", "");
  return r;
}

namespace {
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
}  // namespace

Result<LayerEntryName> layer_entry_name(std::string_view raw) {
  LayerEntryName out;
  out.rel = TRY(clean_relative_path(raw));
  if (out.rel.empty()) {
    out.kind = LayerEntryKind::kRoot;
    return out;
  }
  auto slash = out.rel.find_last_of('/');
  out.parent = slash == std::string::npos ? "" : out.rel.substr(0, slash);
  out.name = slash == std::string::npos ? out.rel : out.rel.substr(slash + 1);
  if (out.name.starts_with(kWhiteoutPrefix)) {
    std::string_view hidden = std::string_view(out.name).substr(kWhiteoutPrefix.size());
    if (out.name == kOpaqueMarker) out.kind = LayerEntryKind::kOpaqueMarker;
    else if (hidden.empty() || hidden.starts_with(kWhiteoutPrefix)) out.kind = LayerEntryKind::kAufsMetadata;
    else out.kind = LayerEntryKind::kWhiteout;
  }
  return out;
}

void BodyListDigest::add(std::string_view rel, uint64_t size) {
  hash_.update(rel);
  hash_.update(fmt::format("\0{}\n", size));
  count_++;
}

std::string BodyListDigest::hex() { return hash_.hex_digest(); }

namespace {

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

struct DeferredTimes {
  std::string path;
  struct timespec times[2];
  std::optional<mode_t> mode;  // set last (ExtractOptions::layer off)
};

class Extractor {
 public:
  Extractor(int root_fd, const ExtractOptions& options)
      : root_fd_(root_fd), stash_fd_(options.stash_fd), options_(options) {}
  Result<ExtractReport> run(int tar_fd);

 private:
  Status extract_entry(struct archive* a, struct archive_entry* e, const LayerEntryName& entry);
  /// Removes `name` in `dir`, or moves it to the stash when there is one.
  Status discard(int dir, const std::string& name);
  /// Links the stashed bodies as stash/<index> and removes the rest.
  Status finish_stash();
  Status link_stashed_bodies(int dir, const std::string& name, std::unordered_map<ino_t, std::vector<uint64_t>>& wanted);
  Result<int> parent_fd(const std::string& parent);
  Status make_room(int dir, const std::string& name, bool keep_directory);
  Result<int64_t> write_data(struct archive* a, int fd, const std::string& rel);
  /// Runs `create` (a *at call on the parent returning 0 or -1/errno); when
  /// the name is taken, clears it as tar would and tries once more.
  template <typename Create>
  Status create_entry(const std::string& parent, const std::string& name, int& dir, Create create);
  void set_owner(int dir, const std::string& name, int fd, struct archive_entry* e, const std::string& rel);
  void set_xattrs(int fd, struct archive_entry* e);
  void invalidate_cache() {
    cached_parent_.clear();
    cached_fd_.reset();
  }

  int root_fd_;
  int stash_fd_;
  ExtractOptions options_;
  uid_t euid_ = ::geteuid();  // asked once, not for each of the layer's entries
  uint64_t stashed_ = 0;            // stash/v1 .. v<stashed_>
  std::vector<ino_t> body_inodes_;  // the inode of each body, by index
  BodyListDigest bodies_;
  std::string cached_parent_;  // the parent directory of the last entry, and its fd
  UniqueFd cached_fd_;
  std::vector<DeferredTimes> directory_times_;
  ExtractReport report_;
};

std::pair<std::string, std::string> split_parent(const std::string& rel) {
  auto slash = rel.find_last_of('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

Status Extractor::discard(int dir, const std::string& name) {
  if (stash_fd_ < 0) return remove_tree_at(dir, name);
  // Nothing this extraction made is ever unlinked, so no inode number is
  // reused: a body's inode, recorded when it was written, finds it later.
  std::string to = "v" + std::to_string(stashed_ + 1);
  if (::renameat(dir, name.c_str(), stash_fd_, to.c_str()) != 0) return errno_error("move `{}` aside", name);
  stashed_++;
  return {};
}

Status Extractor::link_stashed_bodies(int dir, const std::string& name,
                                      std::unordered_map<ino_t, std::vector<uint64_t>>& wanted) {
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_error("stat stashed `{}`", name);
  if (S_ISREG(st.st_mode)) {
    auto it = wanted.find(st.st_ino);
    if (it == wanted.end()) return {};
    for (uint64_t index : it->second) {
      if (::linkat(dir, name.c_str(), stash_fd_, std::to_string(index).c_str(), 0) != 0)
        return errno_error("keep stashed `{}`", name);
      report_.stashed_bodies++;
    }
    wanted.erase(it);  // another name of the same file needs no second link
    return {};
  }
  if (!S_ISDIR(st.st_mode)) return {};
  UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return errno_error("open stashed `{}`", name);
  for (const auto& child : TRY(list_directory(sub.get()))) TRY(link_stashed_bodies(sub.get(), child, wanted));
  return {};
}

Status Extractor::finish_stash() {
  if (stash_fd_ < 0 || stashed_ == 0) return {};
  std::unordered_map<ino_t, std::vector<uint64_t>> wanted;
  for (uint64_t i = 0; i < body_inodes_.size(); ++i) wanted[body_inodes_[i]].push_back(i);
  for (uint64_t n = 1; n <= stashed_; ++n) {
    std::string victim = "v" + std::to_string(n);
    TRY(link_stashed_bodies(stash_fd_, victim, wanted));
    TRY(remove_tree_at(stash_fd_, victim));
  }
  return {};
}

Result<ExtractReport> Extractor::run(int tar_fd) {
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  archive_read_support_filter_none(a.get());
  if (archive_read_open_fd(a.get(), tar_fd, 1 << 20) != ARCHIVE_OK)
    return make_error("read tar: {}", archive_error_string(a.get()));
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* why = archive_error_string(a.get());
      return make_error("read tar{}: {}", report_.entries ? fmt::format(" after {} entries", report_.entries) : "",
                        why ? why : "unreadable archive");
    }
    const char* raw_name = archive_entry_pathname(e);
    if (!raw_name) return make_error("read tar: entry {} has no name", report_.entries + 1);
    auto entry = layer_entry_name(raw_name);
    if (!entry.ok()) return std::move(entry).error().wrap("layer entry `{}`", raw_name);
    // Outside a layer, `.wh.` names are names like any other.
    if (!options_.layer && entry->kind != LayerEntryKind::kRoot) entry->kind = LayerEntryKind::kPlain;
    TRY(std::move(extract_entry(a.get(), e, *entry)).wrap("extract `{}`", raw_name));
    report_.entries++;
  }
  TRY(std::move(finish_stash()).wrap("keep replaced files for the tar recipe"));
  report_.bodies = bodies_.count();
  report_.bodies_digest = bodies_.hex();
  // Directory times last: creating entries inside changed them. The last
  // component is opened without following: a directory a later entry
  // replaced with a symlink must not pass its times to the link's target.
  for (const auto& d : directory_times_) {
    if (d.path.empty()) {
      if (d.mode) ::fchmod(root_fd_, *d.mode);
      ::futimens(root_fd_, d.times);
      continue;
    }
    auto [parent, name] = split_parent(d.path);
    auto dir = open_directory_in_root(root_fd_, parent);
    if (!dir.ok()) continue;
    UniqueFd fd(::openat(dir->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    if (d.mode && ::fchmod(fd.get(), *d.mode) != 0) return errno_error("chmod `{}`", d.path);
    ::futimens(fd.get(), d.times);
  }
  return report_;
}

Result<int> Extractor::parent_fd(const std::string& parent) {
  if (cached_fd_ && cached_parent_ == parent) return cached_fd_.get();
  invalidate_cache();
  // Missing parents are created as tar does: 0755, owned by root.
  cached_fd_ = TRY(make_directories_in_root(root_fd_, parent, 0755));
  cached_parent_ = parent;
  return cached_fd_.get();
}

// Makes `name` free for a new entry. An existing directory stays when the new
// entry is a directory too (tar merges them); anything else is removed.
Status Extractor::make_room(int dir, const std::string& name, bool keep_directory) {
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return errno_error("stat");
  }
  if (keep_directory && S_ISDIR(st.st_mode)) return {};
  if (!options_.layer && S_ISDIR(st.st_mode))
    return make_error("cannot overwrite a directory with a non-directory");
  if (!options_.layer && keep_directory)
    return make_error("cannot overwrite a non-directory with a directory");
  Status removed = discard(dir, name);
  invalidate_cache();  // `dir` (maybe the cached fd) is gone; callers ask parent_fd again
  return removed;
}

template <typename Create>
Status Extractor::create_entry(const std::string& parent, const std::string& name, int& dir, Create create) {
  // Most entries are new: try first, and look only when the name is taken.
  if (create(dir) == 0) return {};
  if (errno != EEXIST) return errno_error("create");
  TRY(make_room(dir, name, false));
  dir = TRY(parent_fd(parent));
  if (create(dir) != 0) return errno_error("create");
  return {};
}

Result<int64_t> Extractor::write_data(struct archive* a, int fd, const std::string& rel) {
  const void* buf;
  size_t size;
  la_int64_t offset;
  la_int64_t end = 0;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return make_error("read data: {}", archive_error_string(a));
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = ::pwrite(fd, p, size, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("write `{}`", rel);
      }
      p += n;
      size -= n;
      offset += n;
    }
    end = offset;
  }
  return int64_t(end);
}

void Extractor::set_owner(int dir, const std::string& name, int fd, struct archive_entry* e,
                          const std::string& rel) {
  if (!options_.keep_owners) return;
  uid_t uid = archive_entry_uid(e);
  gid_t gid = archive_entry_gid(e);
  if (uid == 0 && gid == 0 && euid_ == 0) {
    // Already ours: whatever created it is root in this namespace.
    return;
  }
  int r = fd >= 0 ? ::fchown(fd, uid, gid) : ::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  if (r != 0 && errno == EINVAL) {  // the ID has no mapping in this namespace
    if (report_.unmapped_owners++ == 0) report_.first_unmapped = fmt::format("{} (uid {}, gid {})", rel, uid, gid);
  }
}

void Extractor::set_xattrs(int fd, struct archive_entry* e) {
  const char* name;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (is_overlay_xattr(name)) continue;
    ::fsetxattr(fd, name, value, size, 0);  // trusted.* and some security.* are refused: skip
  }
}

Status Extractor::extract_entry(struct archive* a, struct archive_entry* e, const LayerEntryName& entry) {
  const std::string& rel = entry.rel;
  const std::string& parent = entry.parent;
  const std::string& name = entry.name;
  mode_t type = archive_entry_filetype(e);
  struct timespec times[2] = {
      {archive_entry_atime(e), archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : 0},
      {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  if (!archive_entry_atime_is_set(e)) times[0] = times[1];
  mode_t perm = archive_entry_perm(e) & 07777;

  if (entry.kind == LayerEntryKind::kRoot) {  // "./": the layer root itself
    set_owner(-1, "", root_fd_, e, ".");
    if (options_.layer) ::fchmod(root_fd_, perm);
    directory_times_.push_back(
        {"", {times[0], times[1]}, options_.layer ? std::nullopt : std::optional(perm)});
    return {};
  }
  int dir = TRY(parent_fd(parent));

  if (entry.kind == LayerEntryKind::kOpaqueMarker) {
    for (const char* xattr : kOpaqueXattrs)
      if (::fsetxattr(dir, xattr, "y", 1, 0) != 0) return errno_error("mark `{}` opaque", parent);
    return {};
  }
  if (entry.kind == LayerEntryKind::kAufsMetadata) return {};
  if (entry.kind == LayerEntryKind::kWhiteout) {
    std::string hidden = name.substr(kWhiteoutPrefix.size());
    TRY(make_room(dir, hidden, false));
    dir = TRY(parent_fd(parent));
    if (::mknodat(dir, hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      return errno_error("create whiteout for `{}`", hidden);
    return {};
  }

  if (const char* link = archive_entry_hardlink(e)) {
    auto target = clean_relative_path(link);
    if (!target.ok()) return std::move(target).error().wrap("hard link target");
    auto [target_parent, target_name] = split_parent(*target);
    if (target_name.empty()) return make_error("hard link to the layer root");
    UniqueFd target_dir = TRY(std::move(open_directory_in_root(root_fd_, target_parent))
                                  .wrap("hard link to `{}`", *target));
    TRY(make_room(dir, name, false));
    dir = TRY(parent_fd(parent));
    // linkat without AT_SYMLINK_FOLLOW links the entry itself, never what a
    // symlink there points at.
    if (::linkat(target_dir.get(), target_name.c_str(), dir, name.c_str(), 0) != 0)
      return errno_error("hard link to `{}`", *target);
    return {};
  }

  switch (type) {
    case AE_IFDIR: {
      if (::mkdirat(dir, name.c_str(), 0700) != 0) {
        if (errno != EEXIST) return errno_error("create directory");
        TRY(make_room(dir, name, true));  // keeps a directory, replaces anything else
        dir = TRY(parent_fd(parent));
        if (::mkdirat(dir, name.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("create directory");
      }
      UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return errno_error("open directory");
      set_owner(dir, name, fd.get(), e, rel);
      set_xattrs(fd.get(), e);
      if (!options_.layer) {
        directory_times_.push_back({rel, {times[0], times[1]}, perm});
        return {};
      }
      if (::fchmod(fd.get(), perm) != 0) return errno_error("chmod");
      directory_times_.push_back({rel, {times[0], times[1]}, std::nullopt});
      return {};
    }
    case AE_IFREG: {
      UniqueFd fd;
      TRY(create_entry(parent, name, dir, [&](int d) {
        fd.reset(::openat(d, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        return fd ? 0 : -1;
      }));
      int64_t end = TRY(write_data(a, fd.get(), rel));
      // A sparse file's last hole is not written: give the file its full size.
      if (archive_entry_size_is_set(e) && end < archive_entry_size(e) &&
          ::ftruncate(fd.get(), archive_entry_size(e)) != 0)
        return errno_error("set size");
      // A body: the file holds exactly the bytes the tar carries for it.
      if (end > 0 && archive_entry_sparse_count(e) == 0 && archive_entry_size_is_set(e) &&
          end == archive_entry_size(e)) {
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return errno_error("stat");
        bodies_.add(rel, uint64_t(end));
        body_inodes_.push_back(st.st_ino);
      }
      set_owner(dir, name, fd.get(), e, rel);
      set_xattrs(fd.get(), e);
      // chmod after chown: chown clears the set-user-ID bit.
      if (::fchmod(fd.get(), perm) != 0) return errno_error("chmod");
      ::futimens(fd.get(), times);
      return {};
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      // The target is stored as written: it is only ever resolved inside a root.
      TRY(create_entry(parent, name, dir,
                       [&](int d) { return ::symlinkat(target ? target : "", d, name.c_str()); }));
      set_owner(dir, name, -1, e, rel);
      ::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
      return {};
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      TRY(make_room(dir, name, false));
      dir = TRY(parent_fd(parent));
      if (::mknodat(dir, name.c_str(), type | perm, archive_entry_rdev(e)) != 0) {
        if (errno == EPERM && type != AE_IFIFO) {
          if (report_.skipped_devices++ == 0) report_.first_device = rel;
          return {};
        }
        return errno_error("create device node");
      }
      set_owner(dir, name, -1, e, rel);
      ::fchmodat(dir, name.c_str(), perm, 0);
      ::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
      return {};
    }
    default:
      return {};  // sockets and unknown types carry nothing to keep
  }
}

}  // namespace

Result<ExtractReport> extract_tar(int tar_fd, int root_fd, const ExtractOptions& options) {
  Extractor extractor(root_fd, options);
  return extractor.run(tar_fd);
}

Result<ExtractReport> extract_tar_layer(int tar_fd, int root_fd, int stash_fd) {
  return extract_tar(tar_fd, root_fd, {.stash_fd = stash_fd});
}

}  // namespace skiff
