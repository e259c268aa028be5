#include "image/layer_tar.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "base/fs.h"
#include "base/sha256.h"
#include "image/layer_extract.h"
#include "image/layer_store.h"
#include "image/tar_recipe.h"
#include "image/tar_writer.h"
#include "linux/path_in_root.h"
#include "linux/userns.h"

namespace skiff {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
// Bodies up to this size are read into the output buffer; larger ones are
// spliced from the file into the pipe.
constexpr uint64_t kSpliceFrom = 64 << 10;
constexpr size_t kFlushAt = 1 << 20;

Status write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("write the tar");
    data += n;
    size -= size_t(n);
  }
  return {};
}

// A recipe's replay, in the child (root of the user namespace). Returns why
// the layer's files don't rebuild its tar ("" when they did); an Error only
// when writing the stream failed.
class RecipeReplay {
 public:
  RecipeReplay(int out_fd) : out_fd_(out_fd) {}

  Result<std::string> run(const std::string& layer_dir) {
    auto opened = open_layer(layer_dir);
    if (!opened.ok()) return opened.error().text();
    TarRecipeReader reader(recipe_.get());
    for (;;) {
      auto step = reader.next();
      if (!step.ok()) return step.error().text();
      switch (step->kind) {
        case RecipeStep::Kind::kRaw:
          buffer_.append(reinterpret_cast<const char*>(step->raw.data()), step->raw.size());
          written_ += step->raw.size();
          if (buffer_.size() >= kFlushAt) TRY(flush());
          break;
        case RecipeStep::Kind::kBody: {
          auto why = copy_body(*step);
          if (!why.ok()) return std::move(why).error();
          if (!why->empty()) return *why;
          written_ += step->size;
          break;
        }
        case RecipeStep::Kind::kEnd:
          TRY(flush());
          if (step->size != written_)
            return fmt::format("the recipe makes {} bytes, not the {} it says", written_, step->size);
          return std::string();
      }
    }
  }

 private:
  Status open_layer(const std::string& layer_dir) {
    UniqueFd layer(::open(layer_dir.c_str(), kDirFlags));
    if (!layer) return errno_error("open `{}`", layer_dir);
    root_.reset(::openat(layer.get(), "diff", kDirFlags));
    if (!root_) return errno_error("open `{}/diff`", layer_dir);
    stash_.reset(::openat(layer.get(), kTarStashDir, kDirFlags));
    if (!stash_ && errno != ENOENT) return errno_error("open `{}/{}`", layer_dir, kTarStashDir);
    recipe_.reset(::openat(layer.get(), kTarRecipeFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!recipe_) return errno_error("open `{}/{}`", layer_dir, kTarRecipeFile);
    return {};
  }

  Status flush() {
    TRY(write_all(out_fd_, buffer_.data(), buffer_.size()));
    buffer_.clear();
    return {};
  }

  // Opens a body's file: stash/<index> when the extractor kept it there,
  // else its path, resolved inside diff/ and never through a final symlink.
  Result<UniqueFd> open_body(const RecipeStep& step) {
    constexpr int kFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    if (stash_) {
      UniqueFd kept(::openat(stash_.get(), std::to_string(step.index).c_str(), kFlags));
      if (kept) return kept;
      if (errno != ENOENT) return errno_error("open the kept copy of `{}`", step.path);
    }
    auto slash = step.path.find_last_of('/');
    std::string parent = slash == std::string::npos ? "" : step.path.substr(0, slash);
    std::string name = slash == std::string::npos ? step.path : step.path.substr(slash + 1);
    if (!dir_ || parent != dir_path_) {
      dir_.reset();
      dir_ = TRY(open_directory_in_root(root_.get(), parent));
      dir_path_ = parent;
    }
    UniqueFd fd(::openat(dir_.get(), name.c_str(), kFlags));
    if (!fd) return errno_error("open `{}`", step.path);
    return fd;
  }

  Result<std::string> copy_body(const RecipeStep& step) {
    auto fd = open_body(step);
    if (!fd.ok()) return fd.error().text();
    struct stat st;
    if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) return fmt::format("`{}` is no longer a file", step.path);
    if (uint64_t(st.st_size) < step.size)
      return fmt::format("`{}` has {} bytes, not {}", step.path, st.st_size, step.size);
    uint64_t done = 0;
    if (step.size < kSpliceFrom) {
      size_t old = buffer_.size();
      buffer_.resize(old + step.size);
      while (done < step.size) {
        ssize_t n = ::pread(fd->get(), buffer_.data() + old + done, step.size - done, off_t(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          std::string why = n < 0 ? errno_error("read `{}`", step.path).text()
                                  : fmt::format("`{}` has fewer than {} bytes", step.path, step.size);
          buffer_.resize(old);
          return why;
        }
        done += uint64_t(n);
      }
      if (buffer_.size() >= kFlushAt) TRY(flush());
      return std::string();
    }
    TRY(flush());
    loff_t offset = 0;
    while (done < step.size) {
      ssize_t n = ::splice(fd->get(), &offset, out_fd_, nullptr, size_t(std::min<uint64_t>(step.size - done, 1 << 30)),
                           SPLICE_F_MORE);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) break;  // a file system that can't: read below
      if (n < 0) {
        if (errno == EPIPE) return errno_error("write the tar");
        return errno_error("read `{}`", step.path).text();
      }
      if (n == 0) return fmt::format("`{}` has fewer than {} bytes", step.path, step.size);
      done += uint64_t(n);
    }
    std::vector<char> chunk(1 << 20);
    while (done < step.size) {
      ssize_t n = ::pread(fd->get(), chunk.data(), size_t(std::min<uint64_t>(chunk.size(), step.size - done)),
                          off_t(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("read `{}`", step.path).text();
      if (n == 0) return fmt::format("`{}` has fewer than {} bytes", step.path, step.size);
      TRY(write_all(out_fd_, chunk.data(), size_t(n)));
      done += uint64_t(n);
    }
    return std::string();
  }

  int out_fd_;
  UniqueFd root_, stash_, recipe_;
  UniqueFd dir_;  // the folder of the last body, and its path
  std::string dir_path_;
  std::string buffer_;
  uint64_t written_ = 0;
};

// The tree walk of write_tree_tar_at: folders in sorted order, each
// folder's entry before what is in it.
class TreeTar {
 public:
  TreeTar(const TreeTarOptions& options, int out_fd) : options_(options), tar_(out_fd) {}

  Status run(int root_fd) {
    TRY(walk(root_fd, ""));
    return tar_.finish();
  }

  /// Entry `name` of `dir_fd` as `as_name` ("": a folder's contents only).
  Result<uint64_t> run_entry(int dir_fd, const std::string& name, const std::string& as_name) {
    if (as_name.empty()) {
      UniqueFd sub(::openat(dir_fd, name.c_str(), kDirFlags));
      if (!sub) return errno_error("open `{}`", name);
      TRY(walk(sub.get(), ""));
    } else {
      TRY(entry(dir_fd, name, as_name, ""));
    }
    TRY(tar_.finish());
    return content_bytes_;
  }

  /// Each of `changes` alone: a folder without what it holds, a deleted
  /// entry as OCI's empty `.wh.` file.
  Status run_changes(int root_fd, const std::vector<TreeChange>& changes) {
    descend_ = false;
    for (const auto& change : changes) {
      std::string parent = relative_parent(change.rel), name = relative_base(change.rel);
      if (change.deleted) {
        TarHeader whiteout;
        whiteout.name = join_relative(parent, ".wh." + name);
        TRY(tar_.write_header(whiteout));
        continue;
      }
      auto dir = open_directory_in_root(root_fd, parent);
      if (!dir.ok()) {
        if (dir.error().errnum() == ENOENT) continue;  // gone since (a running container)
        return std::move(dir).error();
      }
      TRY(entry(dir->get(), name, change.rel, parent));
    }
    return tar_.finish();
  }

 private:
  static std::vector<std::pair<std::string, std::string>> xattrs_of(int fd) {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<char> names(4096);
    ssize_t length;
    while ((length = ::flistxattr(fd, names.data(), names.size())) < 0 && errno == ERANGE)
      names.resize(names.size() * 4);
    for (ssize_t i = 0; i < length;) {
      std::string name(names.data() + i);
      i += ssize_t(name.size()) + 1;
      if (name.empty() || is_overlay_xattr(name)) continue;
      std::string value(256, '\0');
      ssize_t size;
      while ((size = ::fgetxattr(fd, name.c_str(), value.data(), value.size())) < 0 && errno == ERANGE)
        value.resize(value.size() * 4);
      if (size < 0) continue;  // gone, or not ours to read
      value.resize(size_t(size));
      out.emplace_back(std::move(name), std::move(value));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Status walk(int dir_fd, const std::string& prefix) {
    std::vector<std::string> names = TRY(std::move(list_directory(dir_fd)).wrap("read `{}`", prefix.empty() ? "." : prefix));
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
      TRY(entry(dir_fd, name, prefix.empty() ? name : prefix + "/" + name, prefix));
    return {};
  }

  // Entry `name` of the folder open at `dir_fd`, written as `rel` (in the
  // folder `prefix`), and what it holds.
  Status entry(int dir_fd, const std::string& name, const std::string& rel, const std::string& prefix) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};  // removed while we read (a running container's export)
      return errno_error("stat `{}`", rel);
    }
    if (options_.skip && options_.skip(rel, st)) return {};
    TarHeader h = tar_header_from_stat(rel, st);
    h.size = 0;  // set once the file is open
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dir_fd, name.c_str(), kDirFlags));
      if (!sub) return errno_error("open `{}`", rel);
      h.type = '5';
      h.xattrs = xattrs_of(sub.get());
      TRY(tar_.write_header(h));
      if (options_.oci_whiteouts && is_opaque_directory(sub.get())) {
        TarHeader marker = h;
        marker.name = rel + "/.wh..wh..opq";
        marker.type = '0';
        marker.mode = h.mode & 0777;
        marker.xattrs.clear();
        TRY(tar_.write_header(marker));
      }
      if (descend_) TRY(walk(sub.get(), rel));
      return {};
    }
    if (options_.oci_whiteouts && is_whiteout(st)) {
      // An overlay whiteout (they may share one inode): OCI's empty .wh. file.
      h.name = (prefix.empty() ? "" : prefix + "/") + ".wh." + name;
      h.type = '0';
      TRY(tar_.write_header(h));
      return {};
    }
    if (S_ISSOCK(st.st_mode)) return {};  // tar has no sockets
    if (st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!first) {
        h.type = '1';
        h.link = it->second;
        TRY(tar_.write_header(h));
        return {};
      }
    }
    if (S_ISREG(st.st_mode)) {
      UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!fd) return errno_error("open `{}`", rel);
      if (::fstat(fd.get(), &st) != 0) return errno_error("stat `{}`", rel);
      h.size = uint64_t(st.st_size);
      h.xattrs = xattrs_of(fd.get());
      TRY(tar_.write_header(h));
      TRY(tar_.write_content(fd.get(), h.size, rel));
      content_bytes_ += h.size;
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(size_t(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) return errno_error("read link `{}`", rel);
      target.resize(size_t(n));
      h.type = '2';
      h.link = std::move(target);
      TRY(tar_.write_header(h));
    } else {
      h.type = S_ISCHR(st.st_mode) ? '3' : S_ISBLK(st.st_mode) ? '4' : '6';
      if (h.type != '6') {
        h.devmajor = major(st.st_rdev);
        h.devminor = minor(st.st_rdev);
      }
      TRY(tar_.write_header(h));
    }
    return {};
  }

  const TreeTarOptions& options_;
  TarWriter tar_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // inode -> its first name in the tar
  uint64_t content_bytes_ = 0;
  bool descend_ = true;  // a folder's entry is followed by what it holds
};

}  // namespace

bool has_layer_tar_recipe(const Store& store, const std::string& chain_id) {
  if (!is_sha256_digest(chain_id)) return false;
  return path_exists(store.layer_dir(chain_id) + "/" + kTarRecipeFile);
}

Status write_layer_tar(const Store& store, const std::string& chain_id, ByteSink& out) {
  LayerRecord layer = TRY(load_layer(store, chain_id));
  if (!has_layer_tar_recipe(store, chain_id))
    return make_error("layer {} has no tar recipe (it was extracted by an older skiff): its tar can't be rebuilt",
                      chain_id);
  std::string dir = store.layer_dir(chain_id);
  Sha256 hash;
  uint64_t size = 0;
  auto values = stream_from_user_namespace(
      current_id_mapping(),
      [&](int out_fd, SyncSocket& sock) -> Status {
        // Child: root of the user namespace, reading the layer's files.
        RecipeReplay replay(out_fd);
        std::string why = TRY(replay.run(dir));
        if (!why.empty()) TRY(sock.send(SyncSocket::Kind::kValue, why));
        return {};
      },
      [&](std::span<const uint8_t> data) -> Status {
        hash.update(data.data(), data.size());
        size += data.size();
        return out.write(data);
      });
  if (!values.ok()) return std::move(values).error().wrap("layer {}", chain_id);
  auto mismatch = [&](const std::string& why) {
    return make_error("layer {}: its files no longer match the tar it was extracted from ({})", chain_id, why);
  };
  if (!values->empty()) return mismatch(values->front());
  std::string digest = hash.digest();
  if (digest != layer.diff_id) return mismatch(fmt::format("the rebuilt tar's digest is {}", digest));
  if (size != layer.size) return mismatch(fmt::format("the rebuilt tar has {} bytes, not {}", size, layer.size));
  return out.finish();
}

namespace {

// A tree walk holds a folder open for each level of depth: allow as many
// descriptors as we may.
void raise_open_file_limit() {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

Status write_tree_tar_at(int root_fd, const TreeTarOptions& options, int out_fd) {
  raise_open_file_limit();
  TreeTar tar(options, out_fd);
  return tar.run(root_fd);
}

Result<uint64_t> write_entry_tar_at(int dir_fd, const std::string& name, const std::string& as_name,
                                    int out_fd) {
  raise_open_file_limit();
  TreeTarOptions options;
  TreeTar tar(options, out_fd);
  return tar.run_entry(dir_fd, name, as_name);
}

Status write_changes_tar_at(int root_fd, const std::vector<TreeChange>& changes, int out_fd) {
  TreeTarOptions options;
  TreeTar tar(options, out_fd);
  return tar.run_changes(root_fd, changes);
}

Status write_tree_tar(const std::string& dir, const TreeTarOptions& options, ByteSink& out) {
  return user_namespace_feed([&](int out_fd) -> Status {
    // Child: root of the user namespace, where the tree's owners are mapped.
    UniqueFd root(::open(dir.c_str(), kDirFlags));
    if (!root) return errno_error("open `{}`", dir);
    return write_tree_tar_at(root.get(), options, out_fd);
  })(out);
}

}  // namespace skiff
