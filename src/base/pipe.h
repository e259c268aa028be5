// Pipes whose both ends are owned: neither leaks into an exec, and an early
// return closes them.
#pragma once

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

/// A new pipe, both ends close-on-exec.
Result<Pipe> make_pipe();

}  // namespace skiff
