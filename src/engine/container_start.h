// Starting a created container in the foreground: this process is its
// monitor (DESIGN.md, "The process model"). It launches the container,
// relays stdio or the pty, forwards signals, records the state and returns
// the container's exit code.
#pragma once

#include <sys/ioctl.h>

#include <optional>

#include "base/error.h"
#include "engine/container_network.h"
#include "engine/containers.h"
#include "image/store.h"
#include "linux/container_launch.h"

namespace skiff {

struct StartOptions {
  bool attach = true;        ///< relay stdout and stderr (and stdin with `interactive`)
  bool interactive = false;  ///< relay stdin
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

/// What the init of a container needs, made from its records (in its
/// cloned child, which reads them); `lease`: its run's address on a
/// user-defined network (ContainerNetwork::join).
Result<LaunchSpec> make_launch_spec(const Store& store, const Container& container, const std::string& lease = "");

/// The container's stdin, stdout, stderr (-1: /dev/null; ignored with a
/// tty, whose pty replaces them) and its pty's first size.
struct ContainerStdio {
  int fds[3] = {-1, -1, -1};
  std::optional<struct winsize> window;
};

/// Clones and starts a created or exited container's init; returns once
/// its command was exec'd (errors as start_container's). `network` sets
/// up what it must before the command runs (ContainerNetwork::set_up). The
/// caller holds the container's MonitorLock and records the state.
Result<LaunchedContainer> launch_container(const Store& store, const Container& container,
                                           const ContainerStdio& stdio, ContainerNetwork& network);

/// docker's exit code for a wait status: the code, or 128+N for signal N.
int exit_code_of(int status);

}  // namespace skiff
