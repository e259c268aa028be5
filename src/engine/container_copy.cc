#include "engine/container_copy.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "base/json.h"
#include "base/output.h"
#include "base/pipe.h"
#include "engine/container_options.h"
#include "engine/container_rootfs.h"
#include "engine/containers.h"
#include "image/layer_extract.h"
#include "image/layer_tar.h"
#include "linux/namespace_join.h"
#include "linux/path_in_root.h"
#include "linux/probe.h"
#include "linux/process_info.h"
#include "linux/root_view.h"
#include "linux/userns.h"

namespace skiff {

namespace {

// ---- Paths: the same rules on both sides, inside whichever root ----------

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}; "" -> {"", ""}.
std::pair<std::string, std::string> split_last(const std::string& rel) {
  return {relative_parent(rel), relative_base(rel)};
}

bool names_folder(const std::string& path) {
  return path.ends_with("/") || path.ends_with("/.") || path == ".";
}

struct LocatedSource {
  UniqueFd parent;   // the folder holding it
  std::string name;  // its name there; "." for the root itself
  CopySource info;
};

// The source `path` inside the root open at `root_fd`. Every folder on the
// way is followed inside the root; the last name only with `follow` or
// when the path names a folder ("dir/", "dir/."). Not found: ENOENT.
Result<LocatedSource> locate_source(int root_fd, const std::string& path, bool follow) {
  // Cleaned first, as docker does: ".." is taken back by name, and never
  // above the root.
  std::string clean = clean_clamped_path(path);
  auto [clean_folder, base] = split_last(clean);
  LocatedSource out;
  out.info.base = base;
  out.info.contents_only = clean.empty() || path.ends_with("/.") || path == ".";
  std::string real;
  if (!clean.empty()) {
    if (follow || names_folder(path)) {
      real = TRY(real_path_in_root(root_fd, clean));
    } else {
      std::string folder = TRY(real_path_in_root(root_fd, clean_folder));
      real = folder.empty() ? base : folder + "/" + base;
    }
  }
  auto [folder, name] = split_last(real);
  out.name = name.empty() ? "." : name;
  auto parent = open_directory_in_root(root_fd, folder);
  if (!parent.ok())
    return Error(parent.error().errnum() == ENOTDIR ? ENOTDIR : ENOENT, fmt::format("`{}`", path));
  out.parent = std::move(*parent);
  struct stat st;
  if (::fstatat(out.parent.get(), out.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_error("`{}`", path);
  out.info.is_dir = S_ISDIR(st.st_mode);
  if (names_folder(path) && !out.info.is_dir) return Error(ENOTDIR, fmt::format("`{}`", path));
  return out;
}

struct LocatedTarget {
  std::string real;  // symlinks resolved, relative to the root
  CopyTarget info;
};

// The destination `path` inside the root open at `root_fd`, every symlink
// followed inside the root (the last one too), as docker does.
Result<LocatedTarget> locate_target(int root_fd, const std::string& path) {
  LocatedTarget out;
  out.info.trailing_slash = names_folder(path);
  out.real = TRY(std::move(real_path_in_root(root_fd, clean_clamped_path(path))).wrap("`{}`", path));
  auto [folder, name] = split_last(out.real);
  out.info.base = name;
  if (out.real.empty()) {
    out.info.exists = out.info.is_dir = true;
    return out;
  }
  auto parent = open_directory_in_root(root_fd, folder);
  if (!parent.ok()) {
    if (parent.error().errnum() == ENOENT) return out;
    return std::move(parent).error();
  }
  struct stat st;
  if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return out;
    return errno_error("`{}`", path);
  }
  out.info.exists = true;
  out.info.is_dir = S_ISDIR(st.st_mode);
  return out;
}

// The folder the tar is extracted into.
Result<UniqueFd> open_extraction_folder(int root_fd, const LocatedTarget& target, const CopyPlan& plan) {
  std::string rel = plan.into_parent ? split_last(target.real).first : target.real;
  auto folder = open_directory_in_root(root_fd, rel);
  if (folder.ok()) return folder;
  if (folder.error().errnum() == ENOENT) return make_error("the folder `/{}` does not exist", rel);
  if (folder.error().errnum() == ENOTDIR) return make_error("`/{}` is not a directory", rel);
  return std::move(folder).error();
}

// Reads what is left in a pipe, so that its writer, which may still be
// writing the end of the tar, never gets EPIPE for bytes nobody needs.
void drain(int fd) {
  char buf[65536];
  while (::read(fd, buf, sizeof buf) > 0 || errno == EINTR) {
  }
}

// A host path, absolute (from our working directory), its trailing "/" or
// "/." kept: host paths are resolved inside the host's root "/".
std::string host_absolute(const std::string& path) {
  if (path.starts_with("/")) return path;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) return "/" + path;
  return std::string(cwd) + "/" + path;
}

Result<UniqueFd> open_host_root() {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno_error("open `/`");
  return root;
}

void add_extract_warnings(const ExtractReport& report, std::vector<std::string>& warnings) {
  if (report.unmapped_owners)
    warnings.push_back(
        fmt::format("{} copied file(s) belong to the container's root: their owner isn't mapped in "
                    "the container (the first: {}); see `skiff info`",
                    report.unmapped_owners, report.first_unmapped));
  if (report.skipped_devices)
    warnings.push_back(
        fmt::format("{} device node(s) were not copied: an unprivileged user can't make them (the "
                    "first: {})",
                    report.skipped_devices, report.first_device));
}

// ---- The process on the container's side -----------------------------------

// A stopped container's root as its start would mount it, writable, with
// its bind volumes (a tmpfs volume holds nothing while it is stopped).
Result<RootViewSpec> writable_root_view(const Store& store, const Container& c) {
  ContainerSpec spec;
  spec.rootfs = TRY(container_rootfs(store, c));
  for (const auto& v : config_volumes(c.config))
    if (v.type == VolumeSpec::Type::kBind) spec.volumes.push_back(v);
  spec.read_only_rootfs = c.config["HostConfig"].value("ReadonlyRootfs", false);
  spec.privileged = true;  // no masked /proc paths: no /proc at all
  ContainerPlan plan = TRY(make_plan(spec, current_id_mapping()));
  RootViewSpec view;
  view.driver = spec.rootfs.driver;
  view.writable = true;
  view.layers = spec.rootfs.lower_dirs;
  view.mountpoint = c.dir + "/merged";
  view.copy = c.dir + "/rootfs";
  view.overlay_options = plan.overlay_options;
  view.overlay_chdir = plan.overlay_chdir;
  // The plan's binds are the volumes (no hosts files were asked for); a
  // read-only root is remounted last, as at a start.
  for (const auto& m : plan.mounts)
    if (m.kind == MountStep::Kind::kBind || (m.kind == MountStep::Kind::kReadOnly && m.target.empty()))
      view.mounts.push_back(m);
  if (view.driver == RootfsDriver::kFuseOverlayfs) view.fuse_overlayfs = find_program("fuse-overlayfs");
  return view;
}

// The child that works on the container's files, and the parent's end of
// the conversation with it (the header's message order).
class ContainerFiles {
 public:
  /// Runs in the child with the container's root open; its value is the
  /// payload of the last frame (kOk), its error that frame (kError).
  using Body = std::function<Result<std::string>(int root_fd, SyncSocket& talk)>;

  /// Starts the child. `parent_ends` are descriptors of ours that no child
  /// may keep (a pipe's end whose EOF someone waits for).
  static Result<ContainerFiles> start(const Store& store, const Container& c,
                                      std::vector<UniqueFd*> parent_ends, const Body& body);

  /// The child's next kValue; its error (it was then waited for) otherwise.
  Result<std::string> receive_value();
  Status send_value(const std::string& payload) { return talk_.send(SyncSocket::Kind::kValue, payload); }
  /// Tells the child to give up, waits for it, and returns `why`.
  Error abandon(Error why) {
    (void)talk_.send_error(why);
    (void)finish();
    return why;
  }
  /// The body's value once the child ended, or why it failed.
  Result<std::string> finish();

 private:
  Status wait();
  SyncSocket talk_;
  std::optional<ChildProcess> process_;  // in a running container's namespaces
  std::optional<UsernsChild> userns_;    // a stopped one's root assembled
};

Result<ContainerFiles> ContainerFiles::start(const Store& store, const Container& c,
                                             std::vector<UniqueFd*> parent_ends, const Body& body) {
  auto talks = TRY(SyncSocket::make_pair());
  SyncSocket parent_talk = std::move(talks.first), child_talk = std::move(talks.second);
  auto close_parent_ends = [&] {
    parent_talk.close();
    for (UniqueFd* fd : parent_ends) fd->reset();
  };
  // Child: the body's result is the conversation's last frame. (A failure
  // is sent by whoever called run: below, or with_root_view.)
  auto run = [&](int root_fd) -> Status {
    Result<std::string> result = body(root_fd, child_talk);
    if (!result.ok()) return std::move(result).error();
    return child_talk.send(SyncSocket::Kind::kOk, *result);
  };
  ContainerFiles files;
  if (c.status() == "running") {
    pid_t pid = c.state.value("Pid", 0);
    auto pidfd = open_process(pid, c.state.value("PidStartTime", uint64_t(0)));
    auto flags = pidfd.ok() ? namespaces_to_join(pidfd->get(), pid) : Result<unsigned long>(pidfd.error());
    if (flags.ok()) {
      // Its user namespace for the IDs, its mount namespace for its root
      // with every volume and tmpfs mounted as its processes see them.
      auto child = spawn_in_namespaces(pidfd->get(), *flags & (CLONE_NEWUSER | CLONE_NEWNS), [&]() -> int {
        close_parent_ends();
        UniqueFd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        Status done = root ? run(root.get()) : errno_error("open the container's root");
        if (!done.ok()) (void)child_talk.send_error(done.error());
        return done.ok() ? 0 : kExitSkiffFailed;
      });
      if (!child.ok() && child.error().errnum() != ESRCH) return std::move(child).error();
      if (child.ok()) files.process_.emplace(std::move(*child));
    } else if (flags.error().errnum() != ESRCH) {
      return std::move(flags).error();
    }
    // ESRCH: it ended meanwhile; its files are reached as a stopped one's.
  }
  if (!files.process_) {
    RootViewSpec view = TRY(writable_root_view(store, c));
    auto child = UsernsChild::start(current_id_mapping(), [&](SyncSocket&) -> Status {
      // Child: root of the containers' user namespace; the root is
      // assembled in mount and PID namespaces of its own.
      close_parent_ends();
      return with_root_view(view, child_talk, run);
    });
    if (!child.ok()) return std::move(child).error();
    files.userns_.emplace(std::move(*child));
  }
  child_talk.close();
  files.talk_ = std::move(parent_talk);
  return files;
}

Status ContainerFiles::wait() {
  if (process_) {
    int status = TRY(process_->wait());
    process_.reset();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return make_error("the process copying the container's files {}", describe_wait_status(status));
  }
  if (userns_) {
    auto done = userns_->finish();
    userns_.reset();
    if (!done.ok()) return std::move(done).error();
  }
  return {};
}

Result<std::string> ContainerFiles::receive_value() {
  auto frame = talk_.receive("the process copying the container's files");
  if (frame.ok() && frame->kind == SyncSocket::Kind::kValue) return std::move(frame->payload);
  Status ended = wait();
  if (frame.ok() && frame->kind == SyncSocket::Kind::kError) return SyncSocket::to_error(*frame);
  if (!ended.ok()) return std::move(ended).error();
  return frame.ok() ? make_error("the process copying the container's files answered out of turn")
                    : std::move(frame).error();
}

Result<std::string> ContainerFiles::finish() {
  auto frame = talk_.receive("the process copying the container's files");
  Status ended = wait();
  if (frame.ok() && frame->kind == SyncSocket::Kind::kError) return SyncSocket::to_error(*frame);
  if (!ended.ok()) return std::move(ended).error();
  if (!frame.ok()) return std::move(frame).error();
  if (frame->kind != SyncSocket::Kind::kOk)
    return make_error("the process copying the container's files answered out of turn");
  return std::move(frame->payload);
}

// The child's answer to the parent's decision: a kValue, or a reason to stop.
Result<Json> receive_decision(SyncSocket& talk) {
  auto frame = TRY(talk.receive("skiff"));
  if (frame.kind != SyncSocket::Kind::kValue) return make_error("cancelled");
  return parse_json(frame.payload, "the copy's plan");
}

// What the container's side reports about a path it could not find.
Error container_path_error(const Error& error, const Container& c, const std::string& path) {
  if (error.errnum() == ENOENT) return make_error("could not find `{}` in container `{}`", path, c.name());
  if (error.errnum() == ENOTDIR)
    return make_error("`{}` in container `{}` is not a directory", path, c.name());
  return error.wrap("container `{}`", c.name());
}

// ---- The two directions ------------------------------------------------------

// CONTAINER:SRC -> a host path, or a tar on stdout.
Result<CopyResult> copy_out(const Store& store, const Container& c, const std::string& src,
                            const std::string& dest, const CopyOptions& options) {
  bool to_stdout = dest == "-";
  if (to_stdout && is_terminal(STDOUT_FILENO))
    return make_error("refusing to write the archive to a terminal: redirect stdout");
  UniqueFd host_root = TRY(open_host_root());
  LocatedTarget target;
  if (!to_stdout) target = TRY(locate_target(host_root.get(), host_absolute(dest)));
  auto pipe_ends = TRY(make_pipe());
  UniqueFd reader = std::move(pipe_ends.read), writer = std::move(pipe_ends.write);

  auto body = [&](int root_fd, SyncSocket& talk) -> Result<std::string> {
    // Child: in the container's user namespace, as its root.
    auto found = locate_source(root_fd, src, options.follow_link);
    if (!found.ok()) return container_path_error(found.error(), c, src);
    const CopySource& info = found->info;
    if (to_stdout) {
      std::string as = info.contents_only ? "" : info.base;
      uint64_t bytes = TRY(write_entry_tar_at(found->parent.get(), found->name, as, STDOUT_FILENO));
      return Json{{"bytes", bytes}}.dump();
    }
    Json about{{"base", info.base}, {"dir", info.is_dir}, {"contents_only", info.contents_only}};
    TRY(talk.send(SyncSocket::Kind::kValue, about.dump()));
    Json decision = TRY(receive_decision(talk));
    uint64_t bytes =
        TRY(write_entry_tar_at(found->parent.get(), found->name, decision.value("as", ""), writer.get()));
    writer.reset();
    return Json{{"bytes", bytes}}.dump();
  };
  ContainerFiles files = TRY(ContainerFiles::start(store, c, {&reader}, body));
  writer.reset();

  CopyResult result;
  result.destination = dest;
  if (!to_stdout) {
    Json about = TRY(parse_json(TRY(files.receive_value()), "the copy's source"));
    CopySource source{about.value("base", ""), about.value("dir", false),
                      about.value("contents_only", false)};
    auto plan = plan_copy(source, target.info);
    if (!plan.ok()) return files.abandon(std::move(plan).error().wrap("copy to `{}`", dest));
    auto into = open_extraction_folder(host_root.get(), target, *plan);
    if (!into.ok()) return files.abandon(std::move(into).error().wrap("copy to `{}`", dest));
    TRY(files.send_value(Json{{"as", plan->as_name}}.dump()));
    // Parent: the host's user; what is made here is ours, whatever the
    // container's owners were.
    auto report = extract_tar(reader.get(), into->get(), {.layer = false, .keep_owners = false});
    drain(reader.get());
    reader.reset();
    auto done = files.finish();
    if (!done.ok() && (report.ok() || done.error().errnum() != EPIPE)) return std::move(done).error();
    if (!report.ok()) return std::move(report).error().wrap("copy to `{}`", dest);
    add_extract_warnings(*report, result.warnings);
    result.bytes = TRY(parse_json(*done, "the copy's result")).value("bytes", uint64_t(0));
    return result;
  }
  std::string done = TRY(files.finish());
  result.bytes = TRY(parse_json(done, "the copy's result")).value("bytes", uint64_t(0));
  return result;
}

// A host path, or a tar on stdin -> CONTAINER:DEST.
Result<CopyResult> copy_in(const Store& store, const Container& c, const std::string& src,
                           const std::string& dest, const CopyOptions& options) {
  bool from_stdin = src == "-";
  if (from_stdin && is_terminal(STDIN_FILENO))
    return make_error("refusing to read the archive from a terminal: redirect stdin");
  ExtractOptions extract{.layer = false, .keep_owners = options.archive};
  UniqueFd host_root = TRY(open_host_root());
  LocatedSource source;
  if (!from_stdin) source = TRY(locate_source(host_root.get(), host_absolute(src), options.follow_link));
  auto pipe_ends = TRY(make_pipe());
  UniqueFd reader = std::move(pipe_ends.read), writer = std::move(pipe_ends.write);

  auto body = [&](int root_fd, SyncSocket& talk) -> Result<std::string> {
    // Child: in the container's user namespace, as its root: what it makes
    // belongs to the container's root unless `archive` keeps the owners.
    auto found = locate_target(root_fd, dest);
    if (!found.ok()) return container_path_error(found.error(), c, dest);
    if (from_stdin) {
      if (!found->info.exists) return container_path_error(Error(ENOENT, ""), c, dest);
      if (!found->info.is_dir) return make_error("the destination `{}` must be a directory", dest);
      UniqueFd into = TRY(open_directory_in_root(root_fd, found->real));
      ExtractReport report =
          TRY(std::move(extract_tar(STDIN_FILENO, into.get(), extract)).wrap("copy to `{}`", dest));
      return report.to_json().dump();
    }
    const CopyTarget& info = found->info;
    Json about{{"exists", info.exists},
               {"dir", info.is_dir},
               {"trailing_slash", info.trailing_slash},
               {"base", info.base}};
    TRY(talk.send(SyncSocket::Kind::kValue, about.dump()));
    Json decision = TRY(receive_decision(talk));
    CopyPlan plan{decision.value("into_parent", false), ""};
    UniqueFd into = TRY(std::move(open_extraction_folder(root_fd, *found, plan)).wrap("copy to `{}`", dest));
    auto report = extract_tar(reader.get(), into.get(), extract);
    drain(reader.get());
    if (!report.ok()) return std::move(report).error().wrap("copy to `{}`", dest);
    return report->to_json().dump();
  };
  ContainerFiles files = TRY(ContainerFiles::start(store, c, {&writer}, body));
  reader.reset();

  CopyResult result;
  result.destination = dest;
  if (!from_stdin) {
    Json about = TRY(parse_json(TRY(files.receive_value()), "the copy's destination"));
    CopyTarget target{about.value("exists", false), about.value("dir", false),
                      about.value("trailing_slash", false), about.value("base", "")};
    auto plan = plan_copy(source.info, target);
    if (!plan.ok()) return files.abandon(std::move(plan).error().wrap("copy to `{}`", dest));
    TRY(files.send_value(Json{{"into_parent", plan->into_parent}}.dump()));
    // Parent: the host's user reads its own files.
    auto bytes = write_entry_tar_at(source.parent.get(), source.name, plan->as_name, writer.get());
    writer.reset();
    auto done = files.finish();
    if (!done.ok()) return std::move(done).error();
    if (!bytes.ok()) return std::move(bytes).error().wrap("copy `{}`", src);
    result.bytes = *bytes;
    add_extract_warnings(ExtractReport::from_json(TRY(parse_json(*done, "the copy's result"))),
                         result.warnings);
    return result;
  }
  writer.reset();
  std::string done = TRY(files.finish());
  add_extract_warnings(ExtractReport::from_json(TRY(parse_json(done, "the copy's result"))), result.warnings);
  return result;
}

}  // namespace

CopyEndpoint parse_copy_endpoint(const std::string& argument) {
  if (argument.starts_with("/") || argument.starts_with(".")) return {"", argument};
  size_t colon = argument.find(':');
  if (colon == std::string::npos) return {"", argument};
  return {argument.substr(0, colon), argument.substr(colon + 1)};
}

Result<CopyPlan> plan_copy(const CopySource& source, const CopyTarget& target) {
  if (target.exists && target.is_dir) {
    // Into the folder: by the source's name, or a folder's contents only.
    if (source.is_dir && source.contents_only) return CopyPlan{false, ""};
    return CopyPlan{false, source.base};
  }
  if (target.exists) {
    if (source.is_dir) return make_error("cannot copy a directory to a file");
    if (target.trailing_slash) return make_error("the destination is a file, not a directory");
    return CopyPlan{true, target.base};  // the file is replaced
  }
  if (target.trailing_slash && !source.is_dir) return make_error("the destination directory does not exist");
  // Made at DEST: the file, or the folder with the source's contents.
  return CopyPlan{true, target.base};
}

Result<CopyResult> copy_files(const Store& store, const CopyOptions& options) {
  CopyEndpoint from = parse_copy_endpoint(options.source);
  CopyEndpoint to = parse_copy_endpoint(options.destination);
  if (!from.container.empty() && !to.container.empty())
    return make_error("copying between containers is not supported");
  if (from.container.empty() && to.container.empty())
    return make_error("must specify at least one container source");
  const CopyEndpoint& inside = from.container.empty() ? to : from;
  if (inside.path.empty()) return make_error("`{}:` names no path in the container", inside.container);
  Container c = TRY(find_container(store, inside.container));
  if (!from.container.empty()) return copy_out(store, c, from.path, to.path, options);
  return copy_in(store, c, from.path, to.path, options);
}

}  // namespace skiff
