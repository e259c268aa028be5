#include "linux/namespace_join.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "linux/cgroup.h"
#include "linux/process_info.h"
#include "linux/sync_socket.h"

namespace skiff {

namespace {

struct Namespace {
  unsigned long flag;
  const char* name;  // in /proc/PID/ns
  const char* what;  // for messages
};

// The order they are joined in: the user namespace first, since it grants
// the capabilities the others ask for; then the mount namespace, which
// moves `/` into the container before anything else looks at a path.
constexpr Namespace kNamespaces[] = {
    {CLONE_NEWUSER, "user", "user"},       {CLONE_NEWNS, "mnt", "mount"}, {CLONE_NEWPID, "pid", "PID"},
    {CLONE_NEWUTS, "uts", "UTS"},          {CLONE_NEWIPC, "ipc", "IPC"},  {CLONE_NEWNET, "net", "network"},
    {CLONE_NEWCGROUP, "cgroup", "cgroup"},
};

Error ended() { return Error(ESRCH, "the container's process has ended"); }

// True while the process at `pidfd` runs (a zombie has ended).
bool alive(int pidfd) {
  return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0 || errno == EPERM;
}

// The joining child: single-threaded, a fork of the caller. Joins, then
// forks the process that runs `body`; returns that process's PID.
Result<pid_t> join_and_fork(int pidfd, unsigned long flags, const CgroupToJoin& cgroup,
                            const std::function<int()>& body, SyncSocket& sock) {
  // The cgroup first, while our uid is the host's one that owns it; the
  // process forked below inherits it.
  if (!cgroup.path.empty()) {
    Status entered = enter_cgroup(cgroup.path);
    if (!entered.ok() && cgroup.required) return std::move(entered).error().wrap("join the container's cgroup");
  }
  // Undumpable before the first setns: in the container's user namespace
  // its root is our uid, and could ptrace us or open our /proc/PID/fd.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return errno_error("make the joining process undumpable");
  for (const Namespace& ns : kNamespaces) {
    if (!(flags & ns.flag)) continue;
    // Through the pidfd: the container's init or nobody (ESRCH once it
    // ended), never a process that reused its PID.
    if (::setns(pidfd, int(ns.flag)) != 0) {
      if (errno == ESRCH) return ended();
      return errno_error("join the container's {} namespace", ns.what);
    }
  }
  // A joined PID namespace takes only children: fork once more.
  // CLONE_PARENT makes that child our parent's, so the caller waits for it.
  pid_t pid = pid_t(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0));
  if (pid < 0) return errno_error("fork inside the container");
  if (pid == 0) {
    sock.close();
    int code = kExitSkiffFailed;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  return pid;
}

}  // namespace

Status join_network_namespace(int pidfd, pid_t pid) {
  unsigned long flags = TRY(namespaces_to_join(pidfd, pid)) & (CLONE_NEWUSER | CLONE_NEWNET);
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return errno_error("make this process undumpable");
  // Both at once through the pidfd: the user namespace grants the
  // capabilities that joining the network namespace it owns needs.
  if (flags != 0 && ::setns(pidfd, int(flags)) != 0) {
    if (errno == ESRCH) return ended();
    return errno_error("join the other container's network namespace");
  }
  return {};
}

Result<unsigned long> namespaces_to_join(int pidfd, pid_t pid) {
  unsigned long flags = 0;
  for (const Namespace& ns : kNamespaces) {
    struct stat ours, theirs;
    if (::stat(fmt::format("/proc/self/ns/{}", ns.name).c_str(), &ours) != 0)
      continue;  // a kernel without it
    if (::stat(fmt::format("/proc/{}/ns/{}", pid, ns.name).c_str(), &theirs) != 0) {
      // A zombie has no namespaces left (ENOENT): it has ended too.
      if (errno == ENOENT || !alive(pidfd)) return ended();
      return errno_error("read the container's {} namespace", ns.what);
    }
    if (ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) flags |= ns.flag;
  }
  // Read through the PID: the answers are the init's only if it still runs.
  if (!alive(pidfd)) return ended();
  return flags;
}

Result<ChildProcess> spawn_in_namespaces(int pidfd, unsigned long flags, const std::function<int()>& body,
                                         const CgroupToJoin& cgroup) {
  auto socks = TRY(SyncSocket::make_pair());
  SyncSocket parent_sock = std::move(socks.first), child_sock = std::move(socks.second);
  ChildProcess joiner = TRY(ChildProcess::fork([&]() -> int {
    parent_sock.close();
    Result<pid_t> pid = join_and_fork(pidfd, flags, cgroup, body, child_sock);
    if (!pid.ok()) {
      (void)child_sock.send_error(pid.error());
      return kExitSkiffFailed;
    }
    return child_sock.send(SyncSocket::Kind::kValue, std::to_string(*pid)).ok() ? 0 : kExitSkiffFailed;
  }));
  child_sock.close();
  auto frame = parent_sock.receive("the process entering the container");
  int status = TRY(joiner.wait());
  if (!frame.ok()) return std::move(frame).error().wrap("{}", describe_wait_status(status));
  if (frame->kind == SyncSocket::Kind::kError) return SyncSocket::to_error(*frame);
  return ChildProcess::adopt(pid_t(std::stol(frame->payload)));
}

}  // namespace skiff
