// The client side of `skiff attach`: our stdio joined to a running
// container's through its monitor's socket (engine/monitor.h), the
// terminal in raw mode with a tty, signals passed on without one, and the
// detach keys (docker's ctrl-p ctrl-q) that leave the container running.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

struct AttachOptions {
  bool stdin = true;        ///< pass our stdin on (when the container keeps one open)
  bool sig_proxy = true;    ///< without a tty, signals we get go to the container
  std::string detach_keys;  ///< bytes (parse_detach_keys); empty: ctrl-p ctrl-q
};

struct AttachResult {
  bool detached = false;  ///< the detach keys were typed: the container still runs
  int exit_code = 0;      ///< the container's, when it ended
};

/// Relays until the container ends or the detach keys are typed. "You
/// cannot attach to a stopped container" when it doesn't run.
Result<AttachResult> attach_container(const Store& store, const Container& container,
                                      const AttachOptions& options);

/// docker's --detach-keys: "ctrl-p,ctrl-q", "a,b", "ctrl-@"... as bytes.
Result<std::string> parse_detach_keys(std::string_view text);

}  // namespace skiff
