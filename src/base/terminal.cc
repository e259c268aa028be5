#include "base/terminal.h"

#include <sys/signalfd.h>
#include <unistd.h>

namespace skiff {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  struct termios t;
  if (!::isatty(fd) || ::tcgetattr(fd, &t) != 0) return;
  saved_ = t;
  ::cfmakeraw(&t);
  ::tcsetattr(fd, TCSANOW, &t);
}

RawTerminal::~RawTerminal() {
  if (saved_) ::tcsetattr(fd_, TCSANOW, &*saved_);
}

SignalCatcher::SignalCatcher(std::span<const int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : signals) sigaddset(&mask, sig);
  // Blocked first: a signal arriving before the signalfd exists stays
  // pending and is read from it, never delivered the default way.
  if (::sigprocmask(SIG_BLOCK, &mask, &old_) != 0) return;
  blocked_ = true;
  fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

SignalCatcher::~SignalCatcher() {
  if (blocked_) ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

int SignalCatcher::next() {
  struct signalfd_siginfo si;
  if (::read(fd_.get(), &si, sizeof si) != ssize_t(sizeof si)) return 0;
  return int(si.ssi_signo);
}

}  // namespace skiff
