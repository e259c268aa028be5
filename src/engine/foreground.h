// The foreground half of `run` / `start -a`: which descriptors become the
// container's stdio, the relay of bytes between them and ours, the terminal
// in raw mode, and signals forwarded to the container.
//
// Our own stdout or stderr is handed to the container directly when it is a
// file or a pipe (no copy on the way). A terminal never is: a process holding
// a host terminal could type into it with TIOCSTI, so without -t terminal
// streams go through a pipe we relay, and with -t through the container's pty.
// A container whose output is logged writes to pipes (or its pty) whatever
// ours are: the relay copies each read to ours and to the LogWriter.
#pragma once

#include <sys/ioctl.h>

#include <chrono>
#include <optional>
#include <vector>

#include "base/error.h"
#include "base/poll_set.h"
#include "base/terminal.h"
#include "base/unique_fd.h"
#include "engine/container_log.h"

namespace skiff {

class ForegroundSession {
 public:
  struct Options {
    bool tty = false;
    bool interactive = false;  ///< our stdin reaches the container
    bool attach = true;        ///< the container's output reaches ours
    bool log_output = false;   ///< stdout and stderr through pipes, for relay()'s LogWriter
  };

  /// Decides the container's stdio and blocks the signals the session
  /// forwards (so none is lost before relay() runs). Call before launching.
  Status prepare(const Options& options);
  ForegroundSession() = default;
  ForegroundSession(const ForegroundSession&) = delete;
  ForegroundSession& operator=(const ForegroundSession&) = delete;
  /// Restores the terminal and the signal mask.
  ~ForegroundSession() = default;

  /// The container's stdin, stdout, stderr (-1: /dev/null, or the pty with tty).
  const int* container_stdio() const { return container_fds_; }
  /// Our terminal's size, for the pty's first size.
  std::optional<struct winsize> window() const;

  /// Relays until process `pid` has exited and its output is drained,
  /// forwarding signals to it; returns its wait status. `pty_master` with tty.
  /// With `log` (and Options::log_output), the output is also appended to it
  /// (a pty's as stdout), and its pending partial lines written at the end.
  /// `clients` (its health check, its network) are served too until the
  /// process exits.
  Result<int> relay(pid_t pid, UniqueFd pty_master, LogWriter* log = nullptr,
                    const std::vector<PollClient*>& clients = {});

 private:
  void close_container_ends();
  Options options_;
  int container_fds_[3] = {-1, -1, -1};
  UniqueFd owned_[3];           ///< the container's ends of our pipes
  UniqueFd stdin_writer_;       ///< our end of the container's stdin pipe
  UniqueFd output_readers_[2];  ///< our ends of its stdout, stderr pipes
  std::optional<SignalCatcher> signals_;
  std::optional<RawTerminal> raw_terminal_;  ///< after signals_: restored first
};

}  // namespace skiff
