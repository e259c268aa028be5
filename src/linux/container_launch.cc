#include "linux/container_launch.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/trace.h"
#include "image/user_spec.h"
#include "linux/mounts.h"
#include "linux/path_in_root.h"
#include "linux/process_setup.h"
#include "linux/seccomp_profile.h"
#include "linux/sync_socket.h"
#include "linux/userns.h"
#include "linux/vfs_root.h"
#include "linux/volume_copy_up.h"

namespace skiff {

namespace {

Status bring_up_loopback() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno_error("open a socket to set up `lo`");
  struct ifreq ifr = {};
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) return errno_error("read the flags of `lo`");
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) return errno_error("bring up `lo`");
  return {};
}

Status child_side(const LaunchSpec& spec, SyncSocket& sock);

// clone(2) into `clone_flags`, and into the cgroup open at `cgroup_fd` when
// it is not -1 (clone3's CLONE_INTO_CGROUP, Linux 5.7): the child is in the
// cgroup before its first instruction, and the cgroup namespace the same
// clone makes is rooted there. Returns clone's result (-1 and errno).
pid_t clone_child(unsigned long clone_flags, int cgroup_fd) {
  if (cgroup_fd < 0) return pid_t(::syscall(SYS_clone, clone_flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
  struct clone_args args = {};
  args.flags = clone_flags | CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = uint64_t(cgroup_fd);
  return pid_t(::syscall(SYS_clone3, &args, sizeof args));
}

// Child: cloned into the new namespaces; a copy of the single-threaded
// parent, so it may allocate. Waits for its spec, then sets the container up
// (child_side). Returns only on failure.
Status child_start(unsigned long clone_flags, const SpecMaker& make_spec, SyncSocket& sock) {
  // Nothing of skiff's signal handling reaches the command: unblock all and
  // restore default dispositions (skiff ignores SIGPIPE).
  reset_signal_handling();
  // If the monitor dies, so does the container (it has nobody to report to).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);

  // Child: new userns, no IDs yet. The spec comes once the parent has mapped
  // us; then be the namespace's root, which holds every capability in it.
  auto go = TRY(sock.receive_or_eof("parent"));
  if (!go || go->kind != SyncSocket::Kind::kValue) return make_error("the parent gave up");
  if ((clone_flags & CLONE_NEWUSER) && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0))
    return errno_error("become root in the user namespace");
  trace("child: mapped");
  LaunchSpec spec = TRY(make_spec(go->payload));
  if (spec.argv.empty()) return make_error("no command specified");
  if (spec.plan.clone_flags != clone_flags) return make_error("the container's namespaces changed since it was cloned");
  if (spec.tap && !(clone_flags & CLONE_NEWNET)) return make_error("a tap device needs a network namespace of its own");
  return child_side(spec, sock);
}

Status child_side(const LaunchSpec& spec, SyncSocket& sock) {
  const ContainerPlan& plan = spec.plan;
  bool may_setgroups = plan.mapping.identity || plan.mapping.gids.size() > 1;
  if (may_setgroups) ::setgroups(0, nullptr);

  // Child: root of the new userns, in the new netns, /dev still the host's.
  // tap0 first, while /dev/net/tun is reachable and CAP_NET_ADMIN is ours;
  // the monitor gets its fd and starts moving frames once we exec.
  if (spec.tap) {
    UniqueFd tun = TRY(open_tun_device());
    TRY(configure_tap(tun.get(), *spec.tap));
    TRY(sock.send_fd(tun.get()));
    trace("child: tap0 up");
  }

  // Child: root in the new mntns. Stop propagation both ways before the
  // first mount, so nothing we mount reaches the host (and pivot_root,
  // which refuses shared mounts, can work).
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno_error("make mounts private");

  // The host's /dev/null, for stdio the container doesn't get: opened now,
  // since the image decides what /dev/null is after pivot_root.
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return errno_error("open `/dev/null`");

  // The root: overlay of the layers (its options may be relative to a
  // folder, when absolute paths don't fit the kernel's one page), or the
  // vfs copy bound on itself so it's a mount point pivot_root accepts.
  const std::string& merged = spec.rootfs.merged_dir;
  if (spec.rootfs.driver == RootfsDriver::kNative) {
    if (!plan.overlay_chdir.empty() && ::chdir(plan.overlay_chdir.c_str()) != 0)
      return errno_error("enter `{}`", plan.overlay_chdir);
    if (::mount("overlay", merged.c_str(), "overlay", 0, plan.overlay_options.c_str()) != 0)
      return errno_error("mount overlay on `{}`", merged);
  } else if (spec.rootfs.driver == RootfsDriver::kFuseOverlayfs) {
    // fuse-overlayfs mounts, then leaves a daemon serving the mount: it
    // lives in the container's PID namespace and ends with it.
    TRY(run_fuse_overlayfs(spec.fuse_overlayfs, plan.overlay_options, merged, null.get()));
    // pivot_root moves every process of the mount namespace whose root is
    // the old root, the daemon too, which would then look up its layer paths
    // inside its own mount and deadlock. A fresh mount namespace (a copy,
    // the fuse mount included) keeps the daemon where it is.
    if (::unshare(CLONE_NEWNS) != 0) return errno_error("leave fuse-overlayfs's mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno_error("make mounts private");
  } else {
    // The copy is made here, as root of the user namespace, so the layers'
    // owners copy as they are; once, on the first start.
    TRY(ensure_vfs_root(spec.rootfs.lower_dirs, merged));
    if (::mount(merged.c_str(), merged.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return errno_error("bind `{}` on itself", merged);
  }
  UniqueFd root(::open(merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno_error("open `{}`", merged);

  // Who the command runs as, read from the image's own files through the
  // root descriptor (never NSS), before any mount covers /etc.
  UniqueFd root_dir = TRY(open_directory_in_root(root.get(), ""));
  ExecUser user = TRY(std::move(resolve_exec_user_in_root(root_dir.get(), spec.user, spec.group_add))
                          .wrap("resolve user `{}`", spec.user));
  std::string cwd_rel = TRY(clean_relative_path(spec.cwd));
  TRY(std::move(make_directories_in_root(root.get(), cwd_rel, 0755)).wrap("create working directory `{}`", spec.cwd));

  trace("child: root mounted");
  // Volumes mounted for the first time get the image's content at their
  // destination, read through the root descriptor before anything covers it.
  for (const auto& step : plan.copy_ups) TRY(copy_up_volume(root.get(), step));
  TRY(perform_mount_steps(root.get(), plan.mounts));
  // A working directory below a volume exists only now: make it there too
  // (the first attempt made it in the root, before --read-only).
  if (!resolve_in_root(root.get(), cwd_rel).ok())
    TRY(std::move(make_directories_in_root(root.get(), cwd_rel, 0755)).wrap("create working directory `{}`", spec.cwd));
  trace("child: mounts done");

  // pivot_root(".", "."): the old root ends up stacked on the new one and is
  // detached at once, so no path leads back to the host's files.
  if (::fchdir(root.get()) != 0) return errno_error("enter the container's root");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno_error("pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return errno_error("detach the host's root");
  if (::chdir("/") != 0) return errno_error("enter `/`");

  if (plan.clone_flags & CLONE_NEWUTS && !spec.hostname.empty() &&
      ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    return errno_error("set hostname");
  if (plan.clone_flags & CLONE_NEWNET) TRY(bring_up_loopback());

  // stdio: the parent's choices, or the pty (which makes a session, to
  // own it as its controlling terminal).
  if (spec.tty) TRY(set_up_pty(spec.window, sock, user));
  // Without one, a session of its own all the same, as runc gives every
  // container: the terminal's signals reach it only through skiff, which
  // passes them on, and the scheduler's autogroups keep its CPU apart from
  // that of the process serving its network (its slirp loop).
  if (!spec.tty && ::setsid() < 0) return errno_error("start a session");
  TRY(install_stdio(spec.stdio, spec.tty, null.get()));
  if (::chdir(spec.cwd.c_str()) != 0) return errno_error("enter working directory `{}`", spec.cwd);

  return exec_init({.argv = spec.argv,
                    .env = spec.env,
                    .user = user,
                    .may_setgroups = may_setgroups,
                    .capabilities = spec.capabilities,
                    .seccomp = &spec.seccomp,
                    .no_new_privileges = spec.no_new_privileges,
                    .stay_init = spec.init,
                    // The container dies with its monitor, whatever kills it.
                    .die_with_parent = true,
                    .init_fd = spec.init_fd},
                   sock);
}

}  // namespace

Result<ContainerLaunch> ContainerLaunch::begin(unsigned long clone_flags, const IdMapping& mapping, Returns returns,
                                               const SpecMaker& make_spec, const ScopedCgroup* cgroup) {
  auto [parent_sock, child_sock] = TRY(SyncSocket::make_pair());

  // clone rather than fork + unshare: the child must be PID 1 of its new
  // PID namespace. The parent is single-threaded, so the copy may allocate.
  int cgroup_fd = cgroup ? cgroup->fd() : -1;
  pid_t pid = clone_child(clone_flags, cgroup_fd);
  // No clone3 (seccomp in an outer container answers ENOSYS) or no
  // CLONE_INTO_CGROUP (before 5.7: EINVAL, E2BIG): a container without
  // limits runs in our cgroup instead; one with limits can't run.
  if (pid < 0 && cgroup_fd >= 0 && (errno == ENOSYS || errno == EINVAL || errno == E2BIG)) {
    if (cgroup->limited())
      return errno_error("start the container in cgroup `{}` (clone3 with CLONE_INTO_CGROUP needs Linux 5.7)",
                         cgroup->path());
    pid = clone_child(clone_flags, -1);
  }
  if (pid < 0) {
    int saved = errno;
    // EACCES and EBUSY come from the cgroup, not the namespaces.
    if (cgroup_fd >= 0 && (saved == EACCES || saved == EBUSY))
      return errno_error("start the container in cgroup `{}`", cgroup->path());
    if (clone_flags & CLONE_NEWUSER) return Error(0, "create the container's namespaces: " + explain_userns_errno(saved));
    return Error(saved, "create the container's namespaces");
  }
  if (pid == 0) {
    parent_sock.close();
    Status failed = [&]() -> Status {
      try {
        return child_start(clone_flags, make_spec, child_sock);
      } catch (...) {
        return make_error("unexpected exception");
      }
    }();
    (void)child_sock.send_error(failed.error());
    ::_exit(kExitSkiffFailed);
  }
  trace("cloned");
  ContainerLaunch launch(ChildProcess::adopt(pid), std::move(parent_sock), returns);
  child_sock.close();
  // Parent: host namespaces, as the user. The child is in its user
  // namespace from birth: its maps can be written now, while we go on.
  if (clone_flags & CLONE_NEWUSER) launch.maps_.emplace(IdMapWriter::start(pid, mapping));
  return launch;
}

Result<LaunchedContainer> ContainerLaunch::finish(std::string_view payload,
                                                  const std::function<Status(pid_t)>& before_go) {
  if (maps_) {
    TRY(std::move(maps_->finish()).wrap("set up the container's ID maps"));
    maps_.reset();
    trace("mapped");
  }
  if (before_go) TRY(before_go(process_.pid()));
  TRY(sock_.send(SyncSocket::Kind::kValue, payload));
  LaunchedContainer launched;
  launched.process = std::move(process_);
  if (returns_.tap) launched.tap = TRY(sock_.receive_fd("container"));
  if (returns_.tty) launched.pty_master = TRY(sock_.receive_fd("container"));

  TRY(wait_for_init_exec(sock_, launched.process));
  return launched;
}

}  // namespace skiff
