// Health check settings (docker's HEALTHCHECK, --health-*): what create
// records as Config.Healthcheck, and what a monitor makes of it
// (engine/health_check.h runs it).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

/// The --health-* flags of create and run; unset ones take the image's.
struct HealthFlags {
  std::optional<std::string> cmd;           ///< --health-cmd, run by the container's shell
  std::optional<std::string> interval;      ///< Go durations ("30s", "1m30s")
  std::optional<std::string> timeout;
  std::optional<std::string> start_period;
  std::optional<int> retries;
  bool none = false;  ///< --no-healthcheck
};

/// Config.Healthcheck for a container: the image's (`image`, null when it
/// has none) with the flags over it, docker's way (durations in
/// nanoseconds). Null when neither sets one. Errors as docker's: negative
/// or sub-millisecond durations, negative retries, --no-healthcheck with a
/// --health-* flag.
Result<Json> merge_healthcheck(const Json& image, const HealthFlags& flags);

/// What the monitor runs, with docker's defaults applied.
struct HealthConfig {
  std::vector<std::string> argv;  ///< CMD's words, or the shell with CMD-SHELL's text
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds start_period{0};
  int retries = 3;
};

/// The health check `config` (a container's config.json) asks for: none
/// when Config.Healthcheck is missing, empty or NONE.
std::optional<HealthConfig> health_config(const Json& config);

}  // namespace skiff
