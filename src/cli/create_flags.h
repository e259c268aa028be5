// The flags `run` and `create` share (docker's container create flags that
// skiff knows), bound to one CreateOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "engine/containers.h"

namespace skiff::cli {

/// Adds the flags to `cmd`, storing into `options`; `-h` becomes --hostname
/// (as docker), so the help flag is --help only.
void add_create_flags(CLI::App* cmd, CreateOptions& options);

/// Values CLI11 can't store directly (optional strings) taken from `cmd`
/// after parsing, and IMAGE's trailing arguments from `trailing`.
void finish_create_options(const CLI::App* cmd, CreateOptions& options, const std::vector<std::string>& trailing);

}  // namespace skiff::cli
