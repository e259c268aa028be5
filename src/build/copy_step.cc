#include "build/copy_step.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "base/fs.h"
#include "image/inflating_pipe.h"
#include "base/json.h"
#include "base/sha256.h"
#include "build/context_archive.h"
#include "build/image_tree.h"
#include "image/tar_writer.h"
#include "image/user_spec.h"
#include "linux/path_in_root.h"

namespace skiff {

namespace {

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// Opens the context file at `rel` for reading: its folder resolved inside the
// context, the file itself never followed.
Result<UniqueFd> open_context_file(int context_fd, const std::string& rel) {
  UniqueFd dir = TRY(open_directory_in_root(context_fd, relative_parent(rel)));
  UniqueFd fd(::openat(dir.get(), relative_base(rel).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return errno_error("open `{}` in the build context", rel);
  return fd;
}

// Adds `entry` and everything below it in `context` (sorted: a folder's
// entries follow it) as items of a folder source.
void add_folder(const std::vector<ContextEntry>& context, size_t index, ContextCopyPlan& plan) {
  const std::string& root = context[index].path;
  std::string prefix = root + "/";
  for (size_t i = index + 1; i < context.size(); ++i) {
    if (!context[i].path.starts_with(prefix)) break;
    plan.items.push_back({&context[i], context[i].path.substr(prefix.size()), true});
  }
}

// --chown's owner: USER[:GROUP], names looked up in the image; docker uses
// the user's ID as the group when none is given.
Result<std::pair<uint32_t, uint32_t>> chown_ids(const ImageTree& tree, const std::string& spec) {
  if (spec.empty()) return std::pair<uint32_t, uint32_t>{0, 0};
  std::string passwd = TRY(tree.read_file("etc/passwd", kMaxUserFileSize));
  std::string group = TRY(tree.read_file("etc/group", kMaxUserFileSize));
  ExecUser user = TRY(std::move(resolve_exec_user(spec, passwd, group)).wrap("--chown={}", spec));
  return std::pair<uint32_t, uint32_t>{user.uid, spec.find(':') == std::string::npos ? user.uid : user.gid};
}

}  // namespace

Result<std::string> read_context_head(const std::string& context_dir, const std::string& rel, size_t size) {
  UniqueFd root = TRY(open_directory(context_dir));
  UniqueFd fd = TRY(open_context_file(root.get(), rel));
  std::string head(size, '\0');
  ssize_t n;
  while ((n = ::pread(fd.get(), head.data(), head.size(), 0)) < 0 && errno == EINTR) {
  }
  if (n < 0) return errno_error("read `{}` in the build context", rel);
  head.resize(size_t(n));
  return head;
}

Status check_several_sources(std::string_view instruction, size_t count, const std::string& destination) {
  if (count > 1 && !destination.ends_with("/"))
    return make_error("When using {} with more than one source file, the destination must be a directory and end "
                      "with a /",
                      instruction);
  return {};
}

Result<ContextCopyPlan> plan_context_copy(std::string_view instruction, const std::vector<ContextEntry>& context,
                                          const std::vector<std::string>& sources, const std::string& destination) {
  std::unordered_map<std::string, size_t> by_path;
  for (size_t i = 0; i < context.size(); ++i) by_path.emplace(context[i].path, i);
  ContextCopyPlan plan;
  size_t matched_sources = 0;
  for (const auto& source : sources) {
    std::string clean = clean_path(source);
    while (clean.starts_with("/")) clean = clean_path(clean.substr(1));
    if (clean == ".." || clean.starts_with("../"))
      return make_error("forbidden path outside the build context: {}", source);
    if (clean == "." || clean.empty()) {
      for (const auto& e : context) plan.items.push_back({&e, e.path, true});
      ++matched_sources;
      continue;
    }
    if (has_wildcard(clean)) {
      size_t before = matched_sources;
      for (size_t i = 0; i < context.size(); ++i) {
        if (::fnmatch(clean.c_str(), context[i].path.c_str(), FNM_PATHNAME) != 0) continue;
        ++matched_sources;
        if (context[i].is_directory()) add_folder(context, i, plan);
        else plan.items.push_back({&context[i], "", false});
      }
      if (matched_sources == before)
        return make_error("no source files were specified: `{}` matches nothing in the build context", source);
      continue;
    }
    auto it = by_path.find(clean);
    if (it == by_path.end())
      return make_error("file not found in build context or excluded by .dockerignore: stat {}: file does not exist",
                        source);
    ++matched_sources;
    if (context[it->second].is_directory()) add_folder(context, it->second, plan);
    else plan.items.push_back({&context[it->second], "", false});
  }
  plan.destination_is_folder = destination.ends_with("/") || matched_sources > 1;
  TRY(check_several_sources(instruction, matched_sources, destination));
  return plan;
}

// The cache file: one line per file, "SIZE MTIME_NS INODE MODE DIGEST PATH"
// (a path may hold spaces, not newlines: the walk skips no name, so a name
// with a newline is simply never remembered). A JSON object of 10,000 keys
// would cost more to parse than the whole no-op rebuild.
FileDigests::FileDigests(std::string context_dir, std::string cache_file)
    : context_dir_(std::move(context_dir)), cache_file_(std::move(cache_file)) {
  if (cache_file_.empty()) return;
  auto text = read_file(cache_file_, 256 << 20);
  if (!text.ok()) return;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    Known k;
    unsigned long long size, inode;
    long long mtime;
    unsigned mode;
    int path_at = 0;
    char digest[72] = {};
    std::string l(line);
    if (std::sscanf(l.c_str(), "%llu %lld %llu %o %71s %n", &size, &mtime, &inode, &mode, digest, &path_at) != 5 ||
        path_at <= 0 || size_t(path_at) >= l.size())
      continue;
    k = Known{size, mtime, inode, mode, digest};
    known_.emplace(l.substr(size_t(path_at)), std::move(k));
  }
}

Result<std::string> FileDigests::digest(const ContextEntry& e) {
  auto it = known_.find(e.path);
  if (it != known_.end() && it->second.size == e.size && it->second.mtime_ns == e.mtime_ns &&
      it->second.inode == e.inode && it->second.mode == e.mode)
    return it->second.digest;
  UniqueFd root = TRY(open_directory(context_dir_));
  UniqueFd fd = TRY(open_context_file(root.get(), e.path));
  Sha256 hash;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read `{}` in the build context", e.path);
    if (n == 0) break;
    hash.update(buf, size_t(n));
  }
  std::string digest = hash.digest();
  known_[e.path] = Known{e.size, e.mtime_ns, uint64_t(e.inode), uint32_t(e.mode), digest};
  changed_ = true;
  return digest;
}

Status FileDigests::save() const {
  if (!changed_ || cache_file_.empty()) return {};
  std::string text;
  for (const auto& [path, k] : known_)
    if (path.find('\n') == std::string::npos)
      text += fmt::format("{} {} {} {:o} {} {}\n", k.size, k.mtime_ns, k.inode, k.mode, k.digest, path);
  return write_file_atomically(cache_file_, text);
}

Result<std::string> copy_content_key(const ContextCopyPlan& plan, FileDigests& digests) {
  Sha256 hash;
  hash.update(plan.destination_is_folder ? "folder\n" : "path\n");
  for (const auto& item : plan.items) {
    const ContextEntry& e = *item.entry;
    std::string content;
    if (e.is_regular()) content = TRY(digests.digest(e));
    else if (e.is_symlink()) content = e.link_target;
    hash.update(fmt::format("{}\t{}\t{}\t{:o}\t{}\t{}\n", item.from_folder ? item.under : relative_base(e.path),
                            item.from_folder ? 'F' : 'S', e.mode >> 12, e.mode & 07777, e.links > 1 ? e.inode : 0,
                            content));
  }
  return hash.digest();
}

namespace {

// The child's half of a COPY: where the entries go in the destination
// image, the folders above them, and the tar.
class CopyWriter {
 public:
  CopyWriter(const ImageTree& tree, int out_fd) : tree_(tree), tar_(out_fd) {}

  /// Decides the destination: a folder when `into_folder` (several sources,
  /// a folder source) or `target` ends in "/" or names a folder the image
  /// has; names go through the image's own symlinks (/bin -> usr/bin): a tar
  /// entry named after a symlink would replace it with a folder.
  Status place(const CopyDestination& target, bool into_folder) {
    owner_ = TRY(chown_ids(tree_, target.chown));
    chown_ = !target.chown.empty();
    chmod_ = target.chmod;
    std::string dest = clean_clamped_path(target.destination);
    into_folder_ = into_folder || target.destination.ends_with("/");
    if (!into_folder_ && !dest.empty()) {
      auto st = TRY(tree_.lstat(TRY(tree_.resolve(dest))));
      into_folder_ = st && S_ISDIR(st->st_mode);
    }
    folder_ = TRY(tree_.resolve(into_folder_ ? dest : relative_parent(dest)));
    file_name_ = into_folder_ ? "" : relative_base(dest);
    return ensure_folder(folder_);
  }

  /// The tar name of a source entry: `under` its folder source, or a
  /// file source named `source_path`.
  std::string name_for(bool from_folder, const std::string& under, const std::string& source_path) const {
    if (from_folder) return join_relative(folder_, under);
    return join_relative(folder_, into_folder_ ? relative_base(source_path) : file_name_);
  }

  /// Writes one entry (`content_fd` for a file's content), its folders
  /// first; --chown and --chmod applied, else `uid`/`gid`/`mode` kept.
  Status write(TarHeader h, int content_fd, const std::string& what) {
    if (h.name.empty() || written_.count(h.name)) return {};
    TRY(ensure_folder(relative_parent(h.name)));
    if (chown_ || !keep_owners_) h.uid = owner_.first, h.gid = owner_.second;
    if (chmod_) h.mode = *chmod_;
    TRY(tar_.write_header(h));
    if (h.type == '5') written_.insert(h.name);
    if (h.type == '0' && content_fd >= 0) TRY(tar_.write_content(content_fd, h.size, what));
    return {};
  }

  /// Writes a file whose content `content` streams into the tar.
  Status write_streamed(TarHeader h, const std::function<Status(TarWriter&)>& content) {
    if (h.name.empty()) return {};
    TRY(ensure_folder(relative_parent(h.name)));
    if (chown_ || !keep_owners_) h.uid = owner_.first, h.gid = owner_.second;
    if (chmod_) h.mode = *chmod_;
    TRY(tar_.write_header(h));
    TRY(content(tar_));
    return tar_.end_content(h.size);
  }

  /// A hard link's first name, or "" (and `name` remembered) for the first.
  std::string link_of(dev_t dev, ino_t ino, const std::string& name) {
    auto [it, first] = links_.try_emplace({dev, ino}, name);
    return first ? "" : it->second;
  }

  /// Whether entries keep their own owners (archives, other images) or
  /// become root's (context files): --chown overrides either.
  void keep_owners(bool keep) { keep_owners_ = keep; }
  Status finish() { return tar_.finish(); }

 private:
  Status ensure_folder(const std::string& rel) {
    std::vector<std::string> chain;
    for (std::string p = rel; !p.empty() && !written_.count(p); p = relative_parent(p)) chain.push_back(p);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      TarHeader h;
      h.name = *it;
      h.type = '5';
      auto st = TRY(tree_.lstat(*it));
      if (st && S_ISDIR(st->st_mode)) {  // an existing folder keeps what it was
        h.mode = st->st_mode & 07777;
        h.uid = st->st_uid;
        h.gid = st->st_gid;
        h.mtime = st->st_mtim.tv_sec;
      } else {
        bool ours = it->starts_with(folder_);
        h.mode = 0755;
        h.uid = ours ? owner_.first : 0;
        h.gid = ours ? owner_.second : 0;
        h.mtime = ::time(nullptr);
      }
      TRY(tar_.write_header(h));
      written_.insert(*it);
    }
    return {};
  }

  const ImageTree& tree_;
  TarWriter tar_;
  std::pair<uint32_t, uint32_t> owner_{0, 0};
  bool chown_ = false, keep_owners_ = false;
  std::optional<uint32_t> chmod_;
  bool into_folder_ = false;
  std::string folder_, file_name_;
  std::set<std::string> written_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

// One entry of a source image as `name` in the tar.
Status copy_entry(const ImageTree& from, CopyWriter& out, const std::string& rel, const struct stat& st,
                  const std::string& name) {
  TarHeader h = tar_header_from_stat(name, st);
  if (S_ISLNK(st.st_mode)) {
    auto target = TRY(from.read_link(rel));
    h.link = target;
    return out.write(h, -1, rel);
  }
  if (S_ISREG(st.st_mode)) {
    if (st.st_nlink > 1)
      if (std::string first = out.link_of(st.st_dev, st.st_ino, name); !first.empty()) {
        h.type = '1';
        h.link = first;
        h.size = 0;
        return out.write(h, -1, rel);
      }
    UniqueFd fd = TRY(from.open_file(rel));
    return out.write(h, fd.get(), rel);
  }
  if (S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode)) return out.write(h, -1, rel);
  return {};  // device nodes stay behind, as they can't be made rootless
}

// A context part: each entry as it is (a hard link's later names as links).
Status write_context_items(CopyWriter& out, int context, const ContextCopyPlan& plan) {
  for (const auto& item : plan.items) {
    const ContextEntry& e = *item.entry;
    TarHeader h;
    h.name = out.name_for(item.from_folder, item.under, e.path);
    h.mode = uint32_t(e.mode & 07777);
    h.mtime = e.mtime_ns / 1000000000;
    if (e.is_directory()) {
      h.type = '5';
      TRY(out.write(h, -1, e.path));
    } else if (e.is_symlink()) {
      h.type = '2';
      h.link = e.link_target;
      TRY(out.write(h, -1, e.path));
    } else if (e.is_regular()) {
      if (e.links > 1) {
        if (std::string first = out.link_of(e.device, e.inode, h.name); !first.empty()) {
          h.type = '1';
          h.link = first;
          TRY(out.write(h, -1, e.path));
          continue;
        }
      }
      UniqueFd fd = TRY(open_context_file(context, e.path));
      struct stat now;
      if (::fstat(fd.get(), &now) != 0) return errno_error("stat `{}` in the build context", e.path);
      h.type = '0';
      h.size = uint64_t(now.st_size);
      TRY(out.write(h, fd.get(), e.path));
    } else if (S_ISFIFO(e.mode)) {
      h.type = '6';
      TRY(out.write(h, -1, e.path));
    }
    // Sockets and device nodes in a context are not copied, as
    // BuildKit leaves them out.
  }
  return {};
}

// A member climbing out with `..` (a leading "/" is dropped, as docker
// unpacks an ADDed archive under its destination).
bool climbs_out(const std::string& name) {
  std::string relative = name;
  while (relative.starts_with("/")) relative.erase(0, 1);
  return !escapes_folder(relative).empty();
}

// An archive part: its members under the destination folder.
Status write_archive_members(CopyWriter& out, int context, const std::string& archive) {
  UniqueFd file = TRY(open_context_file(context, archive));
  std::string what = "`" + archive + "`";
  return read_tar_members(file.get(), what, [&](struct archive* in, struct archive_entry* e) -> Status {
    std::string raw = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (climbs_out(raw)) return make_error("`{}` in `{}` climbs out of the destination", raw, archive);
    std::string rel = clean_clamped_path(raw);
    if (rel.empty()) return {};
    TarHeader h;
    h.name = out.name_for(true, rel, rel);
    h.mode = archive_entry_perm(e) & 07777;
    h.uid = uint64_t(archive_entry_uid(e));
    h.gid = uint64_t(archive_entry_gid(e));
    h.mtime = archive_entry_mtime(e);
    mode_t type = archive_entry_filetype(e);
    if (const char* hard = archive_entry_hardlink(e)) {
      if (climbs_out(hard)) return make_error("`{}` in `{}` links out of the destination", raw, archive);
      h.type = '1';
      h.link = out.name_for(true, clean_clamped_path(hard), hard);
      TRY(out.write(h, -1, raw));
    } else if (type == AE_IFDIR) {
      h.type = '5';
      TRY(out.write(h, -1, raw));
    } else if (type == AE_IFLNK) {
      h.type = '2';
      h.link = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      TRY(out.write(h, -1, raw));
    } else if (type == AE_IFREG) {
      h.type = '0';
      h.size = uint64_t(archive_entry_size(e));
      TRY(out.write_streamed(h, [&](TarWriter& tar) -> Status {
        uint64_t done = 0;
        const void* block;
        size_t size;
        la_int64_t offset;
        int rr;
        while ((rr = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
          // A sparse member's holes read as zeros.
          if (uint64_t(offset) > done) TRY(tar.write_data(std::string(size_t(uint64_t(offset) - done), '\0')));
          TRY(tar.write_data(std::string_view(static_cast<const char*>(block), size)));
          done = uint64_t(offset) + size;
        }
        if (rr != ARCHIVE_EOF) return make_error("read {}: {}", what, archive_error_string(in));
        if (done < h.size) TRY(tar.write_data(std::string(size_t(h.size - done), '\0')));
        return {};
      }));
    } else if (type == AE_IFIFO) {
      h.type = '6';
      TRY(out.write(h, -1, raw));
    }
    return {};
  });
}

// A file the step made, placed as its name says.
Status write_made_file(CopyWriter& out, const MadeFile& f) {
  UniqueFd fd(::open(f.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno_error("open `{}`", f.name);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat `{}`", f.name);
  TarHeader h;
  h.name = out.name_for(false, "", f.name);
  h.type = '0';
  h.mode = f.mode;
  h.size = uint64_t(st.st_size);
  h.mtime = ::time(nullptr);
  return out.write(h, fd.get(), f.name);
}

}  // namespace

LayerFeed copy_layer_feed(const std::string& context_dir, const std::vector<CopyPart>& parts,
                          const CopyDestination& target, bool into_folder, const std::vector<std::string>& diff_dirs) {
  return user_namespace_feed([=](int out_fd) -> Status {
    // Child: root of the containers' user namespace, where the layers'
    // owners are mapped and the context's files are root's.
    UniqueFd context = TRY(open_directory(context_dir));
    ImageTree tree = TRY(ImageTree::open(diff_dirs));
    bool folder = into_folder;
    for (const auto& part : parts) {
      if (part.kind == CopyPart::Kind::kArchive) folder = true;
      if (part.kind != CopyPart::Kind::kContext) continue;
      folder = folder || part.plan.destination_is_folder;
      for (const auto& item : part.plan.items) folder = folder || item.from_folder;
    }
    CopyWriter out(tree, out_fd);
    TRY(out.place(target, folder));
    for (const auto& part : parts) {
      out.keep_owners(part.kind == CopyPart::Kind::kArchive);
      switch (part.kind) {
        case CopyPart::Kind::kContext: TRY(write_context_items(out, context.get(), part.plan)); break;
        case CopyPart::Kind::kArchive: TRY(write_archive_members(out, context.get(), part.archive)); break;
        case CopyPart::Kind::kFile: TRY(write_made_file(out, part.file)); break;
      }
    }
    return out.finish();
  });
}

LayerFeed folder_layer_feed(const std::string& folder, const std::vector<std::string>& diff_dirs) {
  return user_namespace_feed([=](int out_fd) -> Status {
    ImageTree tree = TRY(ImageTree::open(diff_dirs));
    CopyWriter out(tree, out_fd);
    auto st = TRY(tree.lstat(TRY(tree.resolve(clean_clamped_path(folder)))));
    // Missing: the folders on its way, the existing ones as they are.
    if (!st || !S_ISDIR(st->st_mode))
      TRY(out.place(CopyDestination{.destination = folder + "/", .chown = "", .chmod = std::nullopt}, true));
    return out.finish();
  });
}

LayerFeed image_copy_layer_feed(const std::vector<std::string>& source_dirs, const std::vector<std::string>& sources,
                                const CopyDestination& target, const std::vector<std::string>& diff_dirs) {
  return user_namespace_feed([=](int out_fd) -> Status {
    // Child: root of the containers' user namespace, where both images'
    // owners are mapped.
    ImageTree from = TRY(ImageTree::open(source_dirs));
    ImageTree tree = TRY(ImageTree::open(diff_dirs));
    // Each source, symlinks followed inside its image; a wildcard in its
    // last component matched against its folder.
    struct Source {
      std::string rel;
      struct stat st;
    };
    std::vector<Source> found;
    for (const auto& source : sources) {
      std::string clean = clean_clamped_path(source);
      if (has_wildcard(relative_base(clean))) {
        std::string folder = TRY(from.resolve(relative_parent(clean)));
        size_t before = found.size();
        for (const auto& name : TRY(from.list(folder))) {
          if (::fnmatch(relative_base(clean).c_str(), name.c_str(), 0) != 0) continue;
          std::string rel = TRY(from.resolve(join_relative(folder, name)));
          if (auto st = TRY(from.lstat(rel))) found.push_back({rel, *st});
        }
        if (found.size() == before) return make_error("no source files were specified: `{}` matches nothing", source);
        continue;
      }
      std::string rel = TRY(from.resolve(clean));
      auto st = TRY(from.lstat(rel));
      if (!st) return make_error("`{}` not found in the image: no such file or directory", source);
      found.push_back({rel, *st});
    }
    TRY(check_several_sources("COPY", found.size(), target.destination));
    bool from_folder = found.size() > 1;
    for (const auto& s : found) from_folder = from_folder || S_ISDIR(s.st.st_mode);
    CopyWriter out(tree, out_fd);
    out.keep_owners(true);
    TRY(out.place(target, from_folder));
    // A folder's entries, depth first, each folder before what it holds.
    std::function<Status(const std::string&, const std::string&)> walk =
        [&](const std::string& rel, const std::string& under) -> Status {
      for (const auto& name : TRY(from.list(rel))) {
        std::string child = join_relative(rel, name);
        auto st = TRY(from.lstat(child));
        if (!st) continue;
        TRY(copy_entry(from, out, child, *st, out.name_for(true, join_relative(under, name), child)));
        if (S_ISDIR(st->st_mode)) TRY(walk(child, join_relative(under, name)));
      }
      return {};
    };
    for (const auto& s : found) {
      if (S_ISDIR(s.st.st_mode)) TRY(walk(s.rel, ""));
      else TRY(copy_entry(from, out, s.rel, s.st, out.name_for(false, "", s.rel)));
    }
    return out.finish();
  });
}

}  // namespace skiff
