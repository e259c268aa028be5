#include "linux/root_view.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "linux/child_process.h"
#include "linux/mounts.h"
#include "linux/vfs_root.h"

namespace skiff {

namespace {

// The first process of the new PID namespace, in the new mount namespace,
// root of the user namespace: mounts the view and runs `body` on it.
Status assemble_and_run(const RootViewSpec& spec, const std::function<Status(int)>& body) {
  // Nothing we mount may reach the mount namespace we were copied from.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno_error("make mounts private");
  std::string root = spec.mountpoint;
  bool scratch = false;
  if (spec.driver == RootfsDriver::kVfs && spec.writable) {
    // The container's own copy, made now if it never started (its start
    // then finds it), bound on itself so that mounts can go on and under it.
    root = spec.copy;
    TRY(ensure_vfs_root(spec.layers, root));
    if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return errno_error("bind `{}` on itself", root);
  } else if (spec.driver == RootfsDriver::kVfs) {
    root = spec.copy;
    if (!path_exists(root)) {
      // Never started: no copy yet. Make one of the image's layers for us
      // alone (a start going on meanwhile makes its own).
      TRY(ensure_vfs_root(spec.layers, spec.scratch));
      root = spec.scratch;
      scratch = true;
    }
  } else {
    ReadOnlyOverlay overlay{spec.overlay_options, spec.overlay_chdir};
    if (!spec.writable) overlay = TRY(read_only_overlay_options(spec.driver, spec.layers));
    if (spec.driver == RootfsDriver::kNative) {
      if (!overlay.chdir.empty() && ::chdir(overlay.chdir.c_str()) != 0)
        return errno_error("enter `{}`", overlay.chdir);
      unsigned long flags = spec.writable ? 0 : MS_RDONLY;
      if (::mount("overlay", spec.mountpoint.c_str(), "overlay", flags, overlay.options.c_str()) != 0)
        return errno_error("mount overlay on `{}`", spec.mountpoint);
    } else {
      UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!null) return errno_error("open `/dev/null`");
      TRY(run_fuse_overlayfs(spec.fuse_overlayfs, overlay.options, spec.mountpoint, null.get()));
    }
  }
  if (!spec.mounts.empty()) {
    // Resolved by descriptor inside the view, as a start does.
    UniqueFd at(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!at) return errno_error("open `{}`", root);
    TRY(perform_mount_steps(at.get(), spec.mounts));
  }
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return errno_error("open `{}`", root);
  Status done = body(root_fd.get());
  root_fd.reset();
  if (scratch) {
    Status removed = remove_tree(spec.scratch);
    if (done.ok()) done = std::move(removed);
  }
  return done;
}

}  // namespace

Status with_root_view(const RootViewSpec& spec, SyncSocket& sock, const std::function<Status(int root_fd)>& body) {
  // Child: root of the user namespace, single-threaded. A PID namespace of
  // our own, so that a fuse-overlayfs daemon can't outlive the export.
  if (::unshare(CLONE_NEWNS | CLONE_NEWPID) != 0) return errno_error("create mount and PID namespaces");
  ChildProcess first = TRY(ChildProcess::fork([&]() -> int {
    Status status = assemble_and_run(spec, body);
    if (status.ok()) return 0;
    (void)sock.send_error(status.error());
    return kExitSkiffFailed;
  }));
  int status = TRY(first.wait());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return make_error("the process reading the container's files {}", describe_wait_status(status));
}

}  // namespace skiff
