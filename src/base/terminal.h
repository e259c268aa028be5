// What an interactive session (run, exec, attach) does to its own process
// for as long as it lasts, undone however it ends: the terminal in raw
// mode, and signals taken through a signalfd instead of handlers.
#pragma once

#include <signal.h>
#include <termios.h>

#include <optional>
#include <span>

#include "base/unique_fd.h"

namespace skiff {

/// Terminal `fd` in raw mode while this lives; nothing when it is no terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  std::optional<struct termios> saved_;
};

/// `signals` blocked and readable from fd() while this lives; the old mask
/// back after. valid() is false (errno says why) when no signalfd could be
/// made.
class SignalCatcher {
 public:
  explicit SignalCatcher(std::span<const int> signals);
  ~SignalCatcher();
  SignalCatcher(const SignalCatcher&) = delete;
  SignalCatcher& operator=(const SignalCatcher&) = delete;

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  /// The next pending signal, or 0 when none is.
  int next();

 private:
  UniqueFd fd_;
  sigset_t old_{};
  bool blocked_ = false;
};

}  // namespace skiff
