// skiff exec: another process in a running container (DESIGN.md, "The
// process model"). It joins the namespaces of the container's init
// (linux/namespace_join.h) and runs as the init does: the container's
// environment, user and working directory unless told otherwise, the same
// capabilities, no_new_privileges and seccomp program
// (engine/container_security.h), and it is skiff's static init, exec'd from
// its sealed memfd, that execs the command: nothing in the container is
// ever the host's skiff binary.
//
// start_exec is the building block, also for a monitor's health checks:
// it returns as soon as the command runs, with a pidfd to poll, so that
// the caller's event loop never blocks on it. exec_in_container is the
// whole `skiff exec` command.
#pragma once

#include <sys/ioctl.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/child_process.h"

namespace skiff {

struct ExecOptions {
  std::vector<std::string> command;      ///< argv; argv[0] looked up in the container's PATH
  std::vector<std::string> env;          ///< NAME=value, over the container's Config.Env
  std::optional<std::string> user;       ///< USER[:GROUP]; default: the container's Config.User
  std::optional<std::string> workdir;    ///< default: the container's Config.WorkingDir, else `/`
  bool privileged = false;               ///< every capability (the seccomp program stays the container's)
  bool tty = false;                      ///< a pty from the container's devpts; TERM=xterm unless set
  std::optional<struct winsize> window;  ///< the pty's first size
  /// The command's stdin, stdout, stderr: descriptors of ours it gets a copy
  /// of, or -1 for /dev/null (with `tty`: the pty). Never a terminal of the
  /// host (TIOCSTI): engine/foreground.h decides which are safe.
  int stdio[3] = {-1, -1, -1};
  /// Its stdout and stderr go into two new pipes instead of stdio[1] and
  /// stdio[2]; ExecProcess::output holds our ends (a health check's output).
  bool capture_output = false;
};

struct ExecProcess {
  /// The command, as seen from the host: our child. Destroyed while it
  /// runs, it is killed and reaped; wait() reaps it, release() lets it be.
  ChildProcess process;
  /// A pidfd of the command: readable (POLLIN) once it ended, when
  /// process.wait() returns at once. Poll it in an event loop.
  UniqueFd pidfd;
  UniqueFd pty_master;  ///< with `tty`: relay it (engine/foreground.h)
  UniqueFd output[2];   ///< with capture_output: our ends of its stdout, stderr
};

/// Starts `options.command` inside `container`, which must be running
/// ("container `NAME` is not running", exit code 125, also when it ends
/// meanwhile). Returns once the command runs: it blocks only while the
/// process is set up (a few milliseconds). A command that isn't found or
/// can't be executed is an Error with exit code 127 or 126 and docker's
/// message; a setup failure (an unknown user, a missing working directory)
/// one with 125. Call from a single-threaded process: it forks.
Result<ExecProcess> start_exec(const Store& store, const Container& container, const ExecOptions& options);

struct ExecRequest {
  std::string container;               ///< name or ID
  ExecOptions options;                 ///< its env from env_files, then env
  std::vector<std::string> env;        ///< -e NAME=value, or NAME (taken from our environment)
  std::vector<std::string> env_files;  ///< --env-file
  bool interactive = false;            ///< -i: our stdin reaches the command
  bool detach = false;                 ///< -d: return once it runs
};

/// skiff exec: runs the command in the container with our stdio (relayed
/// through pipes or the pty where ours is a terminal), forwarding signals to
/// it, and returns its exit code (128+N when signal N killed it). With
/// `detach`, its stdio is /dev/null and 0 is returned once it runs.
Result<int> exec_in_container(const Store& store, const ExecRequest& request);

}  // namespace skiff
