// Starting a created container in the foreground: this process is its
// monitor (DESIGN.md, "The process model"). It launches the container,
// relays stdio or the pty, forwards signals, records the state and returns
// the container's exit code.
#pragma once

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct StartOptions {
  bool attach = true;        ///< relay stdout and stderr (and stdin with `interactive`)
  bool interactive = false;  ///< relay stdin
  int ready_fd = -1;         ///< closed as soon as the container runs (start_container_detached)
};

/// Runs `container` to its end and returns its exit code (128+N when killed
/// by signal N). A failure to start is an Error with exit code 125, or 126 /
/// 127 when its command can't be executed / isn't found; the container's
/// state records it either way. With HostConfig.AutoRemove the container is
/// removed afterwards, whatever happened.
Result<int> start_container(const Store& store, Container& container, const StartOptions& options);

/// skiff run: creates a container from `create` and runs it as
/// start_container does. The container's records are written while its
/// child, already cloned, waits for its ID maps.
Result<int> run_container(const Store& store, const CreateOptions& create, const StartOptions& options);

/// Starts `container` in the background: a monitor process (this binary,
/// setsid'd, stdio on /dev/null) runs start_container without attaching.
/// Returns once the container's command runs, or with the reason it
/// couldn't start.
Status start_container_detached(const Store& store, Container& container);

}  // namespace skiff
