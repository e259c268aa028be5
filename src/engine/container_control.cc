#include "engine/container_control.h"

#include <poll.h>
#include <signal.h>

#include <chrono>

#include "base/fs.h"
#include "base/unix_socket.h"
#include "engine/container_process.h"
#include "engine/monitor.h"
#include "linux/process_info.h"

namespace skiff {

namespace {

// Tells the monitor not to restart the container: a detached monitor
// answers 'k'; a foreground one has no socket and never restarts anyway.
void forbid_restart(const Store& store, const Container& c) {
  auto socket = connect_unix(monitor_socket_path(store, c.id));
  if (!socket.ok()) return;
  if (!send_message(socket->get(), 'n', "").ok()) return;
  char type;
  std::string payload;
  (void)receive_message(socket->get(), type, payload);
}

// Whether the pidfd's process ended within `timeout_ms` (< 0: no limit).
bool ended_within(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n >= 0) return n > 0;
    if (errno != EINTR) return true;
  }
}

// Waits until the container's monitor has recorded its end and is gone
// (a restart policy's monitor was told not to restart it first).
Status wait_until_stopped(const Store& store, const std::string& id, std::chrono::seconds limit) {
  std::string dir = store.containers_dir() + "/" + id;
  auto deadline = std::chrono::steady_clock::now() + limit;
  ContainerWatch watch(dir);
  while (monitor_alive(dir)) {
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error("container {} did not stop: its monitor is still running", id.substr(0, 12));
    watch.wait(std::chrono::milliseconds(100));
  }
  return {};
}

}  // namespace

Status stop_container(const Store& store, const Container& container, const StopOptions& options) {
  Container c = TRY(load_container(store, container.id));
  if (!is_live_status(c.status())) return {};
  forbid_restart(store, c);
  int signal = options.signal ? *options.signal : TRY(container_stop_signal(c));
  int timeout = options.timeout ? *options.timeout : c.config["Config"].value("StopTimeout", 10);
  if (auto init = open_container_init(c); init.ok()) {
    (void)send_signal(init->get(), signal);
    if (!ended_within(init->get(), timeout < 0 ? -1 : timeout * 1000))
      (void)send_signal(init->get(), SIGKILL);
  }
  return wait_until_stopped(store, c.id, std::chrono::seconds(30));
}

Status kill_container(const Store& store, const Container& container, int signal) {
  Container c = TRY(load_container(store, container.id));
  if (c.status() != "running" && c.status() != "paused")
    return make_error("container {} is not running", c.name());
  forbid_restart(store, c);
  return signal_container(c, signal);
}

Result<int> wait_container(const Store& store, const std::string& id) {
  std::string dir = store.containers_dir() + "/" + id;
  ContainerWatch watch(dir);
  for (;;) {
    if (!path_exists(dir + "/config.json")) return make_error("No such container: {}", id);
    Container c = TRY(load_container(store, id));
    std::string status = c.status();
    if (status == "exited" || status == "dead" || status == "restarting") return c.state.value("ExitCode", 0);
    // Created, running or paused: look again when its state changes (a
    // second at most, so a monitor's death is seen too).
    watch.wait(std::chrono::milliseconds(1000));
  }
}

Status restart_container(const Store& store, const Container& container, const StopOptions& options) {
  TRY(stop_container(store, container, options));
  Container c = TRY(load_container(store, container.id));
  return start_container_detached(store, c);
}

}  // namespace skiff
