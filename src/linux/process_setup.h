// The last steps of every process skiff starts inside a container, shared by
// its first process (linux/container_launch.h) and `skiff exec`'s
// (linux/namespace_join.h): clean signal state, the pty or the stdio it was
// given, then privileges dropped and skiff's static init exec'd from its
// sealed memfd (linux/init_binary.h), never the host's skiff binary.
//
// Call in a single-threaded forked child that is root of the container's user
// namespace and already sees the container's root as `/`.
#pragma once

#include <linux/filter.h>
#include <sys/ioctl.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/user_spec.h"
#include "linux/caps.h"
#include "linux/child_process.h"
#include "linux/sync_socket.h"

namespace skiff {

/// Unblocks every signal and restores every default disposition: nothing
/// of skiff's signal handling (blocked signals for a signalfd, SIGPIPE
/// ignored) may reach the container's command.
void reset_signal_handling();

/// A pty from the container's own devpts (its /dev/ptmx): the slave becomes
/// the caller's controlling terminal and stdin, stdout and stderr, owned by
/// `user`; the master is sent on `sock` (kFd).
Status set_up_pty(const std::optional<struct winsize>& window, SyncSocket& sock, const ExecUser& user);

/// Makes `stdio` (the parent's choices; -1: `null_fd`) the caller's stdin,
/// stdout, stderr. With `tty`, a -1 stream keeps the pty set_up_pty made.
Status install_stdio(const int stdio[3], bool tty, int null_fd);

/// What exec_init needs: the command and the privileges it runs with.
struct InitExec {
  std::vector<std::string> argv;  ///< the command; argv[0] looked up in PATH by the init
  std::vector<std::string> env;   ///< NAME=value
  ExecUser user;
  bool may_setgroups = false;  ///< the user namespace allows setgroups (not a single-ID map)
  CapabilitySet capabilities;
  const std::vector<sock_filter>* seccomp = nullptr;  ///< empty or null: unconfined
  bool no_new_privileges = false;
  bool stay_init = false;        ///< the init stays PID 1 (`--init`)
  bool die_with_parent = false;  ///< `-p`: killed when its parent (the monitor) dies
  int init_fd = -1;              ///< the sealed init (open_init_binary())
};

/// Closes every descriptor but stdio and `sock` on exec, drops privileges
/// (no_new_privs, seccomp, bounding set, user, capabilities, in the order
/// the kernel needs) and execs the init with `sock` as its -s socket, so
/// that a command that can't be executed is reported there (126/127).
/// Returns only on failure.
Status exec_init(const InitExec& exec, SyncSocket& sock);

/// Parent side, after the child was given `sock`'s peer: waits until the
/// init exec'd the command (EOF) or said why it couldn't (a frame). On
/// failure `process` is reaped and the Error has docker's exit code: 126 the
/// command can't be executed, 127 it isn't found (with the init's message
/// as it is), 125 skiff's own failure.
Status wait_for_init_exec(SyncSocket& sock, ChildProcess& process);

}  // namespace skiff
