#include "linux/mounts.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/child_process.h"

extern char** environ;

#include "linux/path_in_root.h"

namespace skiff {

namespace {

std::string fd_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

// The flags a remount must keep: the kernel locks these on mounts a user
// namespace inherited, and refuses (EPERM) a remount that would clear them.
unsigned long locked_flags(int fd) {
  struct statvfs st;
  if (::fstatvfs(fd, &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

Result<UniqueFd> open_host_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return errno_error("open `{}`", path);
  return UniqueFd(fd);
}

bool is_directory(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

// Bind `source_fd` on `target_fd`; the new mount is then reopened at the
// target (the old descriptor still names the covered directory).
Status bind(int source_fd, int target_fd, bool recursive) {
  if (::mount(fd_path(source_fd).c_str(), fd_path(target_fd).c_str(), nullptr,
              MS_BIND | (recursive ? MS_REC : 0), nullptr) != 0)
    return errno_error("bind mount");
  return {};
}

Status perform(int root_fd, const MountStep& step) {
  using K = MountStep::Kind;
  switch (step.kind) {
    case K::kMount: {
      UniqueFd target = TRY(open_mount_target_in_root(root_fd, step.target, true));
      if (::mount(step.source.c_str(), fd_path(target.get()).c_str(), step.fstype.c_str(), step.flags,
                  step.data.empty() ? nullptr : step.data.c_str()) != 0)
        return errno_error("mount {}", step.fstype);
      return {};
    }
    case K::kBind:
    case K::kDevice: {
      UniqueFd source = TRY(open_host_path(step.source));
      bool directory = is_directory(source.get());
      UniqueFd target = TRY(open_mount_target_in_root(root_fd, step.target, directory));
      TRY(bind(source.get(), target.get(), step.flags & MS_REC));
      if (step.flags & MS_RDONLY) {
        UniqueFd mounted = TRY(resolve_in_root(root_fd, step.target));
        TRY(remount_read_only(mounted.get()));
      }
      return {};
    }
    case K::kSymlink: {
      size_t slash = step.target.rfind('/');
      std::string parent_rel = slash == std::string::npos ? "" : step.target.substr(0, slash);
      std::string name = slash == std::string::npos ? step.target : step.target.substr(slash + 1);
      UniqueFd parent = TRY(make_directories_in_root(root_fd, parent_rel, 0755));
      if (::symlinkat(step.source.c_str(), parent.get(), name.c_str()) != 0 && errno != EEXIST)
        return errno_error("create symlink");
      return {};
    }
    case K::kMask: {
      auto target = resolve_in_root(root_fd, step.target);
      if (!target.ok() && target.error().errnum() == ENOENT) return {};
      if (!target.ok()) return target.error();
      if (is_directory(target->get())) {
        if (::mount("tmpfs", fd_path(target->get()).c_str(), "tmpfs", MS_RDONLY, "size=0") != 0)
          return errno_error("mask with an empty tmpfs");
        return {};
      }
      UniqueFd null = TRY(open_host_path("/dev/null"));
      return bind(null.get(), target->get(), false);
    }
    case K::kReadOnly: {
      auto target = resolve_in_root(root_fd, step.target);
      if (!target.ok() && target.error().errnum() == ENOENT && step.optional) return {};
      if (!target.ok()) return target.error();
      if (!step.target.empty()) {
        TRY(bind(target->get(), target->get(), true));
        target = TRY(resolve_in_root(root_fd, step.target));
      }
      return remount_read_only(target->get());
    }
  }
  return {};
}

}  // namespace

Status remount_read_only(int path_fd) {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path_fd);
  if (::mount(nullptr, fd_path(path_fd).c_str(), nullptr, flags, nullptr) != 0)
    return errno_error("remount read-only");
  return {};
}

Status perform_mount_steps(int root_fd, const std::vector<MountStep>& steps) {
  for (const auto& step : steps) {
    Status done = perform(root_fd, step);
    if (done.ok() || step.optional) continue;
    std::string what = step.kind == MountStep::Kind::kMount ? step.fstype : step.source;
    return std::move(done).wrap("mount {}on `/{}`", what.empty() ? "" : "`" + what + "` ", step.target);
  }
  return {};
}

Status run_fuse_overlayfs(const std::string& program, const std::string& options, const std::string& merged,
                          int null_fd) {
  if (program.empty()) return make_error("fuse-overlayfs is not installed");
  std::vector<std::string> args{program, "-o", options, merged};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Its daemon outlives the spawn: it must hold none of our stdio (maybe a
  // host terminal), only /dev/null.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 3; ++i) ::posix_spawn_file_actions_adddup2(&actions, null_fd, i);
  pid_t pid;
  int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Error(rc, fmt::format("run `{}`", program));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error("mount the root with `{}`: it {}", program, describe_wait_status(status));
  return {};
}

}  // namespace skiff
