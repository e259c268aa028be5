// Health checks (docker's HEALTHCHECK, --health-*) as a monitor runs them:
// a command run in the running container every interval (start_exec),
// whose exit code says whether the container works. The outcome is State.Health in state.json,
// as docker's inspect shows it: Status (starting, healthy, unhealthy),
// FailingStreak and the last five probes' Log.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/container_exec.h"
#include "engine/health_config.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

/// One container's checks, driven by its monitor's event loop: the
/// monitor polls fds() for POLLIN and calls step() when one is ready or
/// deadline() has come. Not copyable: it may own a running probe.
class HealthMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HealthMonitor(HealthConfig config) : config_(std::move(config)) {}

  /// A run of the container began: Health becomes "starting" with an empty
  /// streak (docker keeps the log), the first probe one interval on.
  void run_started(Json& state, Clock::time_point now);

  /// The run ended: a probe still running is killed; Health stays as the
  /// last probe left it.
  void run_ended();

  /// The probe's pidfd and output pipes while one runs, else none.
  std::vector<int> fds() const;

  /// When step() must be called even if no fd is ready.
  std::optional<Clock::time_point> deadline() const;

  /// Starts a probe that is due, reads a running one's output, and records
  /// one that ended or ran out of time in `state` (the container's
  /// state.json). True when `state` changed and should be saved.
  bool step(const Store& store, const Container& container, Json& state, Clock::time_point now);

 private:
  void record(Json& state, int exit_code, std::string output, Clock::time_point now);
  void read_output();

  HealthConfig config_;
  Clock::time_point run_start_;
  std::optional<Clock::time_point> next_probe_;
  std::optional<ExecProcess> probe_;
  Clock::time_point probe_deadline_;
  std::string probe_started_at_;  ///< RFC 3339, for the log entry
  std::string output_;
};

}  // namespace skiff
