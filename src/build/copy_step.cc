#include "build/copy_step.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <unordered_map>

#include "base/fs.h"
#include "base/json.h"
#include "base/sha256.h"
#include "build/image_tree.h"
#include "image/tar_writer.h"
#include "image/user_spec.h"
#include "linux/path_in_root.h"
#include "linux/userns.h"

namespace skiff {

namespace {

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string join_rel(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

// Opens the context file at `rel` for reading: its folder resolved inside the
// context, the file itself never followed.
Result<UniqueFd> open_context_file(int context_fd, const std::string& rel) {
  UniqueFd dir = TRY(open_directory_in_root(context_fd, parent_of(rel)));
  UniqueFd fd(::openat(dir.get(), base_name(rel).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return errno_error("open `{}` in the build context", rel);
  return fd;
}

// Adds `entry` and everything below it in `context` (sorted: a folder's
// entries follow it) as items of a folder source.
void add_folder(const std::vector<ContextEntry>& context, size_t index, bool whole_context, CopyPlan& plan) {
  const std::string& root = context[index].path;
  std::string prefix = root + "/";
  for (size_t i = index + 1; i < context.size(); ++i) {
    if (!context[i].path.starts_with(prefix)) break;
    plan.items.push_back({&context[i], context[i].path.substr(prefix.size()), true});
  }
  (void)whole_context;
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

Result<CopyPlan> plan_copy(const std::vector<ContextEntry>& context, const std::vector<std::string>& sources,
                           const std::string& destination) {
  std::unordered_map<std::string, size_t> by_path;
  for (size_t i = 0; i < context.size(); ++i) by_path.emplace(context[i].path, i);
  CopyPlan plan;
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
        if (context[i].is_directory()) add_folder(context, i, false, plan);
        else plan.items.push_back({&context[i], "", false});
      }
      if (matched_sources == before) return make_error("no source files were specified: `{}` matches nothing in the build context", source);
      continue;
    }
    auto it = by_path.find(clean);
    if (it == by_path.end())
      return make_error("file not found in build context or excluded by .dockerignore: stat {}: file does not exist",
                        source);
    ++matched_sources;
    if (context[it->second].is_directory()) add_folder(context, it->second, false, plan);
    else plan.items.push_back({&context[it->second], "", false});
  }
  plan.destination_is_folder = destination.ends_with("/") || matched_sources > 1;
  if (matched_sources > 1 && !destination.ends_with("/"))
    return make_error("When using COPY with more than one source file, the destination must be a directory and end "
                      "with a /");
  return plan;
}

FileDigests::FileDigests(std::string context_dir, std::string cache_file)
    : context_dir_(std::move(context_dir)), cache_file_(std::move(cache_file)) {
  auto json = read_json_file(cache_file_, 64 << 20);
  if (!json.ok() || !json->is_object()) return;
  for (const auto& [path, v] : json->items()) {
    if (!v.is_array() || v.size() != 5 || !v[4].is_string()) continue;
    try {
      known_[path] = Known{v[0].get<uint64_t>(), v[1].get<int64_t>(), v[2].get<uint64_t>(), v[3].get<uint32_t>(),
                           v[4].get<std::string>()};
    } catch (const Json::exception&) {
    }
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
  if (!changed_) return {};
  Json json = Json::object();
  for (const auto& [path, k] : known_) json[path] = Json::array({k.size, k.mtime_ns, k.inode, k.mode, k.digest});
  return write_json_atomically(cache_file_, json);
}

Result<std::string> copy_content_key(const CopyPlan& plan, FileDigests& digests) {
  Sha256 hash;
  hash.update(plan.destination_is_folder ? "folder\n" : "path\n");
  for (const auto& item : plan.items) {
    const ContextEntry& e = *item.entry;
    std::string content;
    if (e.is_regular()) content = TRY(digests.digest(e));
    else if (e.is_symlink()) content = e.link_target;
    hash.update(fmt::format("{}\t{}\t{}\t{:o}\t{}\t{}\n", item.from_folder ? item.under : base_name(e.path),
                            item.from_folder ? 'F' : 'S', e.mode >> 12, e.mode & 07777, e.links > 1 ? e.inode : 0,
                            content));
  }
  return hash.digest();
}

LayerFeed copy_layer_feed(const std::string& context_dir, const CopyPlan& plan, const CopyTarget& target,
                          const std::vector<std::string>& diff_dirs) {
  return [=](ByteSink& sink) -> Status {
    auto values = stream_from_user_namespace(
        current_id_mapping(),
        [&](int out_fd, SyncSocket&) -> Status {
          // Child: root of the containers' user namespace, where the layers'
          // owners are mapped and the context's files are root's.
          UniqueFd context = TRY(open_directory(context_dir));
          ImageTree tree = TRY(ImageTree::open(diff_dirs));
          auto [uid, gid] = TRY(chown_ids(tree, target.chown));
          bool any_folder_source = false;
          for (const auto& item : plan.items) any_folder_source = any_folder_source || item.from_folder;
          std::string dest = clean_clamped_path(target.destination);
          bool into_folder = plan.destination_is_folder || any_folder_source || target.destination.ends_with("/");
          if (!into_folder && !dest.empty()) {
            std::string resolved = TRY(tree.resolve(dest));
            auto st = TRY(tree.lstat(resolved));
            into_folder = st && S_ISDIR(st->st_mode);
          }
          // Names go through the image's own symlinks (/bin -> usr/bin):
          // a tar entry named after a symlink would replace it with a folder.
          std::string folder = TRY(tree.resolve(into_folder ? dest : parent_of(dest)));
          std::string file_name = into_folder ? "" : base_name(dest);

          TarWriter tar(out_fd);
          std::set<std::string> written;
          auto ensure_folder = [&](const std::string& rel) -> Status {
            std::vector<std::string> chain;
            for (std::string p = rel; !p.empty() && !written.count(p); p = parent_of(p)) chain.push_back(p);
            for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
              TarHeader h;
              h.name = *it;
              h.type = '5';
              auto st = TRY(tree.lstat(*it));
              if (st && S_ISDIR(st->st_mode)) {
                h.mode = st->st_mode & 07777;
                h.uid = st->st_uid;
                h.gid = st->st_gid;
                h.mtime = st->st_mtim.tv_sec;
              } else {
                bool ours = it->size() >= folder.size() && it->starts_with(folder);
                h.mode = 0755;
                h.uid = ours ? uid : 0;
                h.gid = ours ? gid : 0;
                h.mtime = ::time(nullptr);
              }
              TRY(tar.write_header(h));
              written.insert(*it);
            }
            return {};
          };
          TRY(ensure_folder(folder));
          std::map<std::pair<dev_t, ino_t>, std::string> links;
          for (const auto& item : plan.items) {
            const ContextEntry& e = *item.entry;
            std::string name = item.from_folder ? join_rel(folder, item.under)
                               : into_folder    ? join_rel(folder, base_name(e.path))
                                                : join_rel(folder, file_name);
            if (name.empty() || written.count(name)) continue;
            TRY(ensure_folder(parent_of(name)));
            TarHeader h;
            h.name = name;
            h.mode = target.chmod ? *target.chmod : uint32_t(e.mode & 07777);
            h.uid = uid;
            h.gid = gid;
            h.mtime = e.mtime_ns / 1000000000;
            if (e.is_directory()) {
              h.type = '5';
              TRY(tar.write_header(h));
              written.insert(name);
            } else if (e.is_symlink()) {
              h.type = '2';
              h.link = e.link_target;
              TRY(tar.write_header(h));
            } else if (e.is_regular()) {
              if (e.links > 1) {
                auto [it, first] = links.try_emplace({e.device, e.inode}, name);
                if (!first) {
                  h.type = '1';
                  h.link = it->second;
                  TRY(tar.write_header(h));
                  continue;
                }
              }
              UniqueFd fd = TRY(open_context_file(context.get(), e.path));
              struct stat now;
              if (::fstat(fd.get(), &now) != 0) return errno_error("stat `{}` in the build context", e.path);
              h.type = '0';
              h.size = uint64_t(now.st_size);
              TRY(tar.write_header(h));
              TRY(tar.write_content(fd.get(), h.size, e.path));
            } else if (S_ISFIFO(e.mode)) {
              h.type = '6';
              TRY(tar.write_header(h));
            }
            // Sockets and device nodes in a context are not copied, as
            // BuildKit leaves them out.
          }
          return tar.finish();
        },
        [&](std::span<const uint8_t> data) { return sink.write(data); });
    if (!values.ok()) return std::move(values).error();
    return sink.finish();
  };
}

}  // namespace skiff
