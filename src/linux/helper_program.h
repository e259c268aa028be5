// Short-lived host programs skiff runs and waits for (newuidmap and
// newgidmap, pasta): spawned with posix_spawn (vfork, no copy of our page
// tables), their stderr kept for the error when they fail.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// Starts `args` (args[0] a path) with its stderr on a pipe whose read end
/// goes to `stderr_read`, with no signal blocked and every disposition the
/// default. Returns its PID.
Result<pid_t> spawn_helper_program(const std::vector<std::string>& args, UniqueFd& stderr_read);

/// Reads what `pid` writes to `stderr_read` until it closes, waits for it:
/// an error "PROGRAM exited with code N: STDERR" unless it exited with 0.
Status finish_helper_program(const std::string& program, pid_t pid, int stderr_read);

/// Both of the above: runs `args` to its end.
Status run_helper_program(const std::vector<std::string>& args);

}  // namespace skiff
