// A container's live side: the lock its monitor holds, its init's PID, and
// the state transitions the monitor records (DESIGN.md, "The process model").
//
// Whether a container runs is decided by its monitor's lock, never by a PID:
// the monitor (the `skiff run` process in the foreground, a setsid'd skiff
// for -d) holds an OFD write lock on containers/<id>/monitor.lock for as long
// as it lives, and the kernel drops it however the monitor ends (kill -9, a
// reboot). A state that says running, restarting or paused without the lock
// held is a monitor that died: it reads as exited. The init's PID is only
// used to signal or join it, and always through a pidfd opened after its
// start time was checked, so a recycled PID is never touched.
#pragma once

#include <chrono>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/containers.h"

namespace skiff {

/// The monitor's lock on one container; released when destroyed or when the
/// process ends. Its descriptor is close-on-exec.
class MonitorLock {
 public:
  /// Takes the lock (creating the lock file); held() is false when another
  /// monitor holds it.
  static Result<MonitorLock> try_acquire(const std::string& container_dir);
  MonitorLock() = default;
  bool held() const { return fd_.valid(); }

 private:
  explicit MonitorLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

/// Whether a monitor holds the lock of the container in `container_dir`.
bool monitor_alive(const std::string& container_dir);

/// Whether `status` is one a monitor must be alive for.
bool is_live_status(std::string_view status);

/// A pidfd of the container's init, checked against its recorded start
/// time; "container X is not running" when there is none.
Result<UniqueFd> open_container_init(const Container& container);

/// Sends `signal` to the container's init (through a checked pidfd).
Status signal_container(const Container& container, int signal);

/// The state a monitor records: the init `pid` runs.
void record_running(Container& container, pid_t pid);
/// The state a monitor records when the init ended with `exit_code`.
void record_exited(Container& container, int exit_code);
/// Records the folder of the container's own cgroup ("" for none) in its
/// state, kept after it exits: `rm` removes it if a killed monitor left it.
void record_cgroup(Container& container, const std::string& path);
/// Records the running container's published ports (docker's
/// NetworkSettings.Ports; null: none) in its state, with ps's text of them
/// (PortsText); record_exited drops both.
void record_ports(Container& container, const Json& ports);
/// Records the running container's places on user-defined networks
/// (ContainerNetwork::endpoints; null: none); record_exited drops them.
void record_networks(Container& container, const Json& endpoints);

/// Watches a container's folder for changes of its state: a new
/// state.json, its monitor's end, its removal. Made before the state is
/// read, so no change in between is missed.
class ContainerWatch {
 public:
  explicit ContainerWatch(const std::string& container_dir);
  /// Waits for a change since the last call (or since made), at most
  /// `timeout`; false when none came.
  bool wait(std::chrono::milliseconds timeout);

 private:
  UniqueFd fd_;
};

/// The `--stop-signal` / image STOPSIGNAL of a container, as a number
/// (SIGTERM when none is set).
Result<int> container_stop_signal(const Container& container);

/// "SIGTERM", "TERM", "15" -> 15; an error for anything else.
Result<int> parse_signal(std::string_view text);

}  // namespace skiff
