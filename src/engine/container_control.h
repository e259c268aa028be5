// What other skiff processes do to a live container: stop, kill, wait,
// restart (DESIGN.md, "The process model"). They tell the container's
// monitor through its socket (engine/monitor.h) that it must not restart
// the container, and signal the init only through a checked pidfd
// (engine/container_process.h); so they work the same for a container
// run in the foreground, whose monitor is the `skiff run` process.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct StopOptions {
  std::optional<int>
      timeout;  ///< seconds before SIGKILL (default: the container's StopTimeout, else 10); < 0 waits forever
  std::optional<int> signal;  ///< default: the container's stop signal
};

/// docker stop: the stop signal, then SIGKILL once the timeout passed;
/// returns when the exit is recorded. Its restart policy doesn't restart
/// it. A container that doesn't run is left as it is.
Status stop_container(const Store& store, const Container& container, const StopOptions& options);

/// docker kill: sends `signal` to a running container's init; its restart
/// policy won't restart it afterwards. "container X is not running" else.
Status kill_container(const Store& store, const Container& container, int signal);

/// docker wait: blocks until the container is not running (a created one
/// must first start and end) and returns its exit code.
Result<int> wait_container(const Store& store, const std::string& id);

/// docker restart: stop (when running), then start in the background.
Status restart_container(const Store& store, const Container& container, const StopOptions& options);

}  // namespace skiff
