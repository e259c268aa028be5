#include "engine/container_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cctype>

#include "engine/container_ports.h"
#include "image/image_store.h"
#include "linux/process_info.h"

namespace skiff {

namespace {

std::string lock_path(const std::string& container_dir) { return container_dir + "/monitor.lock"; }

struct flock whole_file_write_lock() {
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  return lock;
}

}  // namespace

Result<MonitorLock> MonitorLock::try_acquire(const std::string& container_dir) {
  std::string path = lock_path(container_dir);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return errno_error("open `{}`", path);
  // An open file description lock: it belongs to this descriptor (not to the
  // process, as a classic fcntl lock would), and F_OFD_GETLK can test it
  // without taking it.
  struct flock lock = whole_file_write_lock();
  if (::fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    if (errno == EAGAIN || errno == EACCES) return MonitorLock();
    return errno_error("lock `{}`", path);
  }
  return MonitorLock(std::move(fd));
}

bool monitor_alive(const std::string& container_dir) {
  UniqueFd fd(::open(lock_path(container_dir).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  struct flock lock = whole_file_write_lock();
  if (::fcntl(fd.get(), F_OFD_GETLK, &lock) != 0) return false;
  return lock.l_type != F_UNLCK;
}

bool is_live_status(std::string_view status) {
  return status == "running" || status == "restarting" || status == "paused";
}

Result<UniqueFd> open_container_init(const Container& c) {
  auto not_running = [&] { return make_error("container {} is not running", c.name()); };
  if (c.status() != "running" && c.status() != "paused") return not_running();
  auto fd = open_process(c.state.value("Pid", 0), c.state.value("PidStartTime", uint64_t(0)));
  if (!fd.ok()) return not_running();
  return fd;
}

Status signal_container(const Container& c, int signal) {
  UniqueFd init = TRY(open_container_init(c));
  // ESRCH: it ended between the check and the signal; that is what was asked.
  Status sent = send_signal(init.get(), signal);
  if (!sent.ok() && sent.error().errnum() != ESRCH) return sent;
  return {};
}

void record_running(Container& c, pid_t pid) {
  c.state["Status"] = "running";
  c.state["Running"] = true;
  c.state["Paused"] = false;
  c.state["Restarting"] = false;
  c.state["Pid"] = pid;
  c.state["PidStartTime"] = process_start_time(pid);
  c.state["MonitorPid"] = ::getpid();
  c.state["ExitCode"] = 0;
  c.state["Error"] = "";
  c.state["StartedAt"] = now_rfc3339();
  c.state["FinishedAt"] = kZeroTime;
}

void record_exited(Container& c, int exit_code) {
  c.state["Status"] = "exited";
  c.state["Running"] = false;
  c.state["Paused"] = false;
  c.state["Restarting"] = false;
  c.state["Pid"] = 0;
  c.state["ExitCode"] = exit_code;
  c.state["FinishedAt"] = now_rfc3339();
  c.state.erase("Ports");
  c.state.erase("PortsText");
  c.state.erase("Networks");
}

void record_networks(Container& c, const Json& endpoints) {
  if (endpoints.is_null())
    c.state.erase("Networks");
  else
    c.state["Networks"] = endpoints;
}

void record_cgroup(Container& c, const std::string& path) {
  if (path.empty())
    c.state.erase("Cgroup");
  else
    c.state["Cgroup"] = path;
}

void record_ports(Container& c, const Json& ports) {
  if (ports.is_null())
    c.state.erase("Ports");
  else
    c.state["Ports"] = ports;
  // What ps shows, made once here so that ps reads a string.
  const Json& cc = c.config["Config"];
  std::string text = display_ports(ports, cc.contains("ExposedPorts") ? cc["ExposedPorts"] : Json());
  if (text.empty())
    c.state.erase("PortsText");
  else
    c.state["PortsText"] = text;
}

ContainerWatch::ContainerWatch(const std::string& container_dir)
    : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
  // A new state.json arrives by rename; the monitor's end closes its lock
  // file; removal renames the folder away.
  if (fd_ && ::inotify_add_watch(fd_.get(), container_dir.c_str(),
                                 IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
    fd_.reset();
}

bool ContainerWatch::wait(std::chrono::milliseconds timeout) {
  if (!fd_) {
    // No inotify: look again soon.
    ::usleep(useconds_t(std::min<int64_t>(timeout.count(), 50) * 1000));
    return false;
  }
  struct pollfd p = {fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, int(timeout.count())) <= 0) return false;
  char events[4096];
  while (::read(fd_.get(), events, sizeof events) > 0) {
  }
  return true;
}

Result<int> parse_signal(std::string_view text) {
  std::string name(text);
  for (auto& ch : name) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
    int n = 0;
    for (char ch : name) {
      if (!std::isdigit(static_cast<unsigned char>(ch)) || n > NSIG)
        return make_error("invalid signal: {}", text);
      n = n * 10 + (ch - '0');
    }
    if (n <= 0 || n >= NSIG) return make_error("invalid signal: {}", text);
    return n;
  }
  if (name.starts_with("SIG")) name = name.substr(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  if (name.starts_with("RTMIN+") || name.starts_with("RTMAX-")) {
    std::string offset = name.substr(6);
    if (!offset.empty() && offset.size() <= 2 && std::isdigit(static_cast<unsigned char>(offset[0]))) {
      int n = std::stoi(offset);
      int sig = name[2] == 'M' && name[3] == 'I' ? SIGRTMIN + n : SIGRTMAX - n;
      if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
    }
  }
  return make_error("invalid signal: {}", text);
}

Result<int> container_stop_signal(const Container& c) {
  std::string name = c.config["Config"].value("StopSignal", "");
  if (name.empty()) return SIGTERM;
  return parse_signal(name);
}

}  // namespace skiff
