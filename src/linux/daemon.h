// Starting a skiff process that outlives its caller (a container's monitor,
// a network's switch): a fresh exec of this binary in a session of its own.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace skiff {

/// Runs `/proc/self/exe args...` in the background: forked twice (nobody
/// waits for it; its parent is the subreaper or init), setsid (the caller's
/// terminal and process-group signals never reach it), stdio on /dev/null,
/// in "/", no signal blocked. Descriptor `keep` (-1: none) stays open across the exec; all
/// others close there. If the exec fails, `exec_failed(errno)` runs in the
/// child. Returns once the first child is reaped.
Status spawn_daemon(const std::vector<std::string>& args, int keep,
                    const std::function<void(int)>& exec_failed = nullptr);

}  // namespace skiff
