// A forked child that is killed and reaped unless waited for: every early
// return in the parent leaves no orphan behind.
#pragma once

#include <sys/types.h>

#include <functional>

#include "base/error.h"

namespace skiff {

class ChildProcess {
 public:
  /// Forks; the child runs `body` and _exit()s with its return value.
  /// Exceptions in the child become exit code 125, never unwinding into the
  /// parent's code.
  static Result<ChildProcess> fork(const std::function<int()>& body);

  ChildProcess() = default;
  /// Owns a child made some other way (clone).
  static ChildProcess adopt(pid_t pid) { return ChildProcess(pid); }
  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  /// Waits; returns the raw wait status.
  Result<int> wait();
  /// Stops owning the child: nothing is killed or reaped later.
  pid_t release() { pid_t p = pid_; pid_ = -1; return p; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

/// "exited with code N" / "killed by signal SIGKILL" for a wait status.
std::string describe_wait_status(int status);

/// A shell's exit code for a wait status: the code, or 128+N when killed by
/// signal N (125 for anything else).
int wait_status_exit_code(int status);

}  // namespace skiff
