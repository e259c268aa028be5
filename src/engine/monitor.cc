#include "engine/monitor.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "base/fs.h"
#include "base/memory.h"
#include "base/output.h"
#include "base/poll_set.h"
#include "base/pipe.h"
#include "base/unix_socket.h"
#include "engine/container_log.h"
#include "engine/container_network.h"
#include "engine/container_process.h"
#include "engine/container_start.h"
#include "engine/health_check.h"
#include "linux/daemon.h"
#include "linux/process_info.h"

namespace skiff {

namespace {

using Clock = std::chrono::steady_clock;

// Output queued for one client that reads too slowly before it is dropped,
// and input queued for a container that doesn't read its stdin before
// clients are no longer read.
constexpr size_t kClientQueueLimit = 4 << 20;
constexpr size_t kStdinQueueLimit = 1 << 20;
// docker's restart back-off: 100 ms, doubled each time, back to 100 ms
// after a run of 10 s; we cap it at a minute.
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(60000);
constexpr auto kStableRun = std::chrono::seconds(10);
// How long a started slirp stack's first exchanges (the container's IPv6
// router solicitation and address checks) are given before its memory is
// released.
constexpr auto kNetworkSettle = std::chrono::milliseconds(500);
// How long output may still drain after the init ended.
constexpr auto kDrainTime = std::chrono::seconds(1);

struct Client {
  UniqueFd fd;
  bool input = false;
  bool out = false;
  bool err = false;
  std::deque<std::string> queue;  ///< messages a full socket didn't take yet
  size_t queued = 0;
  bool closing = false;  ///< close once the queue is sent
};

void set_nonblocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

class Monitor {
 public:
  Monitor(const Store& store, Container c, MonitorLock lock)
      : store_(store), c_(std::move(c)), lock_(std::move(lock)) {
    tty_ = c_.config["Config"].value("Tty", false);
    open_stdin_ = c_.config["Config"].value("OpenStdin", false);
    restarts_ = c_.state.value("RestartCount", 0);
    if (auto health = health_config(c_.config)) health_.emplace(std::move(*health));
  }

  Status open_socket() {
    std::string path = monitor_socket_path(store_, c_.id);
    TRY(make_directories(path.substr(0, path.rfind('/')), 0700));
    listener_ = TRY(listen_unix(path));
    return {};
  }

  // One run of the container: its stdio, the clone, the state "running".
  Status launch() {
    ContainerStdio stdio;
    UniqueFd child_ends[3];
    if (tty_) {
      stdio.window = window_;
    } else {
      if (open_stdin_) {
        auto [read_end, write_end] = TRY(make_pipe());
        child_ends[0] = std::move(read_end);
        stdin_ = std::move(write_end);
      }
      auto [out_read, out_write] = TRY(make_pipe());
      auto [err_read, err_write] = TRY(make_pipe());
      out_ = std::move(out_read);
      err_ = std::move(err_read);
      child_ends[1] = std::move(out_write);
      child_ends[2] = std::move(err_write);
    }
    for (int i = 0; i < 3; ++i) stdio.fds[i] = child_ends[i].get();
    // The log is opened once for the monitor's life (restarts append to it).
    if (!log_ && container_keeps_log(c_.config)) log_ = TRY(open_container_log(c_.dir, c_.config));
    // Published ports are bound once, before the first run: a port in use
    // fails the start. They stay bound across restarts.
    if (!network_) network_ = TRY(ContainerNetwork::prepare(store_, c_.config, nullptr));
    LaunchedContainer launched = TRY(launch_container(store_, c_, stdio, *network_));
    // Only the container may hold the write ends: their EOF is its end.
    for (auto& end : child_ends) end.reset();
    TRY(network_->attach(launched));
    pid_t pid = launched.process.pid();
    init_fd_ = TRY(open_process(pid, process_start_time(pid)));
    init_ = std::move(launched.process);
    cgroup_ = std::move(launched.cgroup);
    if (tty_) pty_ = std::move(launched.pty_master);
    for (int fd : {out_.get(), err_.get(), stdin_.get(), pty_.get()}) set_nonblocking(fd);
    stdin_queue_.clear();
    record_running(c_, pid);
    record_cgroup(c_, cgroup_.path());
    record_ports(c_, network_->ports());
    record_networks(c_, network_->endpoints());
    c_.state["RestartCount"] = restarts_;
    started_ = Clock::now();
    if (health_) health_->run_started(c_.state, started_);
    // "running" needs no fsync: after a crash the lock sees through it.
    TRY(save_container_state(c_, false));
    // The monitor idles from here on, maybe for months: what starting the
    // container needed (its code, freed heap) need not stay resident.
    ::malloc_trim(0);
    release_file_pages();
    return {};
  }

  // A start that failed: recorded as docker does, with the error's code.
  void record_failure(const Error& error) {
    c_.state["Error"] = error.text();
    c_.state["ExitCode"] = error.exit_code();
    c_.state["Status"] = "exited";
    c_.state["Running"] = false;
    c_.state["Pid"] = 0;
    (void)save_container_state(c_, true);
  }

  // Until the container ended for good, then the monitor's last duties.
  void serve() {
    while (!done_) {
      poll_once();
      if (init_exited_ && (!outputs_open() || Clock::now() >= drain_deadline_)) end_run();
      if (restart_at_ && Clock::now() >= *restart_at_) restart();
    }
    finish();
  }

  // The monitor's last duties: the clients' last messages, --rm, the socket.
  void finish() {
    for (auto& cl : clients_) flush(cl);
    clients_.clear();
    if (c_.config["HostConfig"].value("AutoRemove", false)) {
      Status removed = remove_container(store_, c_, true);
      if (!removed.ok()) warn("{}", removed.error().text());
    }
    ::unlink(monitor_socket_path(store_, c_.id).c_str());
  }

 private:
  bool outputs_open() const { return out_.valid() || err_.valid() || pty_.valid(); }
  int stdin_target() const { return tty_ ? pty_.get() : stdin_.get(); }

  void poll_once() {
    // Reused round after round: the slirp loop may go through thousands a second.
    PollSet& set = poll_set_;
    auto& what = polled_;
    set.clear();
    what.clear();
    auto add = [&](int fd, short events, Kind kind, size_t index = 0) {
      set.add(fd, events);
      what.push_back({kind, index});
    };
    if (!done_) add(listener_.get(), POLLIN, kListener);
    if (init_fd_) add(init_fd_.get(), POLLIN, kInit);
    if (out_) add(out_.get(), POLLIN, kOut);
    if (err_) add(err_.get(), POLLIN, kErr);
    if (pty_) add(pty_.get(), POLLIN, kPty);
    if (!stdin_queue_.empty() && stdin_target() >= 0) add(stdin_target(), POLLOUT, kStdin);
    bool read_clients = stdin_queue_.size() < kStdinQueueLimit;
    for (size_t i = 0; i < clients_.size(); ++i) {
      short events = short((read_clients && !clients_[i].closing ? POLLIN : 0) |
                           (clients_[i].queue.empty() ? 0 : POLLOUT));
      add(clients_[i].fd.get(), events, kClient, i);
    }
    if (health_)
      for (int fd : health_->fds()) add(fd, POLLIN, kHealth);
    if (restart_at_) set.wake_by(*restart_at_);
    if (init_exited_) set.wake_by(drain_deadline_);
    if (health_ && !init_exited_)
      if (auto due = health_->deadline()) set.wake_by(*due);
    if (release_at_) set.wake_by(*release_at_);
    // The network after our own descriptors: `what` covers those.
    bool serve_network = network_ && !network_->empty() && !init_exited_ && init_fd_;
    if (serve_network) network_->add_to(set);
    if (set.poll() < 0) return;  // EINTR: look again

    for (size_t i = 0; i < what.size(); ++i) {
      short revents = set.revents(i);
      if (revents == 0) continue;
      auto [kind, index] = what[i];
      switch (kind) {
        case kListener:
          accept_client();
          break;
        case kInit:
          reap_init();
          break;
        case kOut:
          read_output(out_, 'o');
          break;
        case kErr:
          read_output(err_, 'e');
          break;
        case kPty:
          read_output(pty_, 'o');
          break;
        case kStdin:
          write_stdin();
          break;
        case kClient:
          if (revents & POLLOUT) flush(clients_[index]);
          if (revents & (POLLIN | POLLHUP | POLLERR)) read_client(clients_[index]);
          break;
        case kHealth:
          break;  // step_health() below looks at the probe
      }
    }
    if (serve_network) network_->handle(set);
    step_health();
    settle_network(serve_network);
    std::erase_if(clients_,
                  [](const Client& cl) { return !cl.fd.valid() || (cl.closing && cl.queue.empty()); });
  }

  // The slirp stack is made at the container's first frame, after start()
  // released what starting needed: once its first exchanges are over
  // (kNetworkSettle), what making it faulted in and allocated (libslirp's
  // and glib's code, freed heap) is released the same way.
  void settle_network(bool served) {
    if (served && !network_released_ && !release_at_ && network_->stack_started())
      release_at_ = Clock::now() + kNetworkSettle;
    if (!release_at_ || Clock::now() < *release_at_) return;
    release_at_.reset();
    network_released_ = true;
    ::malloc_trim(0);
    release_file_pages();
  }

  // A probe due, running or ended: its outcome is saved as it comes (no
  // fsync: the next probe tells again), and what it faulted in released.
  void step_health() {
    if (!health_ || init_exited_ || !init_fd_) return;
    if (!health_->step(store_, c_, c_.state, Clock::now())) return;
    (void)save_container_state(c_, false);
    if (health_->fds().empty()) release_file_pages();
  }

  void accept_client() {
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    Client client;
    client.fd.reset(fd);
    clients_.push_back(std::move(client));
  }

  void reap_init() {
    int status = 0;
    pid_t pid = init_.release();
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    init_fd_.reset();
    exit_status_ = status;
    init_exited_ = true;
    drain_deadline_ = Clock::now() + kDrainTime;
  }

  void read_output(UniqueFd& fd, char stream) {
    char buf[64 * 1024];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      deliver(stream, std::string_view(buf, size_t(n)));
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    fd.reset();  // end of stream, or EIO from a pty nobody holds any more
  }

  void deliver(char stream, std::string_view bytes) {
    if (log_) log_->append(stream == 'o' ? LogStream::kStdout : LogStream::kStderr, bytes, log_clock_now());
    for (auto& cl : clients_)
      if (!cl.closing && (stream == 'o' ? cl.out : cl.err)) enqueue(cl, stream, bytes);
  }

  void enqueue(Client& cl, char type, std::string_view payload) {
    std::string message(1, type);
    message.append(payload);
    if (cl.queue.empty()) {
      ssize_t n = ::send(cl.fd.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return;
      if (errno != EAGAIN) {
        cl.fd.reset();
        return;
      }
    }
    cl.queued += message.size();
    cl.queue.push_back(std::move(message));
    // A client that stopped reading is dropped rather than holding us up.
    if (cl.queued > kClientQueueLimit) cl.fd.reset();
  }

  void flush(Client& cl) {
    while (!cl.queue.empty() && cl.fd) {
      const std::string& message = cl.queue.front();
      ssize_t n = ::send(cl.fd.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN) cl.fd.reset();
        return;
      }
      cl.queued -= message.size();
      cl.queue.pop_front();
    }
  }

  void read_client(Client& cl) {
    char type;
    std::string payload;
    auto got = receive_message(cl.fd.get(), type, payload);
    if (!got.ok() && got.error().errnum() == EAGAIN) return;
    if (!got.ok() || !*got) {
      cl.fd.reset();
      return;
    }
    switch (type) {
      case 'a':
        if (!init_fd_) {
          // Nothing runs (a restart's back-off): docker refuses too.
          enqueue(cl, 'x', std::to_string(c_.state.value("ExitCode", 0)));
          cl.closing = true;
          break;
        }
        cl.input = payload.find('i') != std::string::npos && open_stdin_;
        cl.out = payload.find('o') != std::string::npos;
        cl.err = payload.find('e') != std::string::npos;
        break;
      case 'i':
        if (cl.input && stdin_target() >= 0) {
          stdin_queue_ += payload;
          write_stdin();
        }
        break;
      case 'c':
        if (cl.input && !tty_) stdin_.reset();
        break;
      case 'r': {
        unsigned rows = 0, cols = 0;
        if (std::sscanf(payload.c_str(), "%u %u", &rows, &cols) == 2 && rows > 0 && cols > 0 &&
            rows < 65536 && cols < 65536) {
          window_ = winsize{static_cast<unsigned short>(rows), static_cast<unsigned short>(cols), 0, 0};
          // The kernel sends SIGWINCH to the pty's foreground group.
          if (pty_) ::ioctl(pty_.get(), TIOCSWINSZ, &*window_);
        }
        break;
      }
      case 'n':
        no_restart_ = true;
        enqueue(cl, 'k', "");
        // Waiting to restart: that wait is over, and so is the container.
        if (restart_at_) {
          restart_at_.reset();
          c_.state["Status"] = "exited";
          c_.state["Restarting"] = false;
          (void)save_container_state(c_, true);
          done_ = true;
        }
        break;
      default:
        cl.fd.reset();  // not a client of ours
    }
  }

  void write_stdin() {
    int fd = stdin_target();
    while (!stdin_queue_.empty() && fd >= 0) {
      ssize_t n = ::write(fd, stdin_queue_.data(), stdin_queue_.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        stdin_queue_.clear();  // the container closed its stdin
        if (!tty_) stdin_.reset();
        return;
      }
      stdin_queue_.erase(0, size_t(n));
    }
  }

  bool should_restart(int code) const {
    if (no_restart_) return false;
    const Json& policy =
        c_.config["HostConfig"].contains("RestartPolicy") ? c_.config["HostConfig"]["RestartPolicy"] : Json();
    std::string name = policy.is_object() ? policy.value("Name", "no") : "no";
    if (name == "always" || name == "unless-stopped") return true;
    if (name != "on-failure" || code == 0) return false;
    int most = policy.value("MaximumRetryCount", 0);
    return most <= 0 || restarts_ < most;
  }

  // The init ended and its output is drained: record, tell the clients,
  // and either wait to restart or be done.
  void end_run() {
    init_exited_ = false;
    if (health_) health_->run_ended();
    // Its processes have all ended (and a health check's been reaped).
    cgroup_ = ScopedCgroup();
    if (network_) network_->detach();
    release_at_.reset();
    network_released_ = false;  // the next run makes its stack again
    out_.reset();
    err_.reset();
    pty_.reset();
    stdin_.reset();
    stdin_queue_.clear();
    // Everything written before the exit is recorded: `logs -f` stops at it.
    if (log_) log_->finish(log_clock_now());
    conclude(exit_code_of(exit_status_));
  }

  void conclude(int code) {
    bool again = should_restart(code);
    record_exited(c_, code);
    c_.state["RestartCount"] = restarts_;
    if (again) {
      c_.state["Status"] = "restarting";
      c_.state["Restarting"] = true;
    }
    Status saved = save_container_state(c_, true);
    for (auto& cl : clients_) {
      if (cl.out || cl.err) {
        enqueue(cl, 'x', std::to_string(code));
        cl.closing = true;
      }
    }
    // Removed meanwhile (rm -f renamed the folder): nothing left to run.
    if (!saved.ok() && !path_exists(c_.dir)) again = false;
    if (!again) {
      done_ = true;
      return;
    }
    backoff_ = Clock::now() - started_ >= kStableRun || backoff_.count() == 0
                   ? kFirstBackoff
                   : std::min(backoff_ * 2, kMaxBackoff);
    restart_at_ = Clock::now() + backoff_;
  }

  void restart() {
    restart_at_.reset();
    ++restarts_;
    // The records may have changed meanwhile (rename): start from disk.
    auto fresh = load_container(store_, c_.id);
    if (!fresh.ok()) {
      done_ = true;
      return;
    }
    Json state = c_.state;
    c_ = std::move(*fresh);
    c_.state = std::move(state);
    Status launched = launch();
    if (!launched.ok()) {
      c_.state["Error"] = launched.error().text();
      conclude(launched.error().exit_code());
    }
  }

  const Store& store_;
  Container c_;
  MonitorLock lock_;
  bool tty_ = false;
  bool open_stdin_ = false;
  int restarts_ = 0;
  UniqueFd listener_;
  std::vector<Client> clients_;
  ScopedCgroup cgroup_;  ///< the running container's own, if any
  std::unique_ptr<ContainerNetwork> network_;  ///< its published ports and each run's slirp loop
  std::optional<Clock::time_point> release_at_;  ///< when the started stack's memory is released
  bool network_released_ = false;                ///< this run's was
  enum Kind { kListener, kInit, kOut, kErr, kPty, kStdin, kClient, kHealth };
  PollSet poll_set_;                          ///< poll_once's, kept for its capacity
  std::vector<std::pair<Kind, size_t>> polled_;  ///< what each of our entries in it is
  ChildProcess init_;
  UniqueFd init_fd_;
  UniqueFd out_, err_, pty_, stdin_;
  std::string stdin_queue_;
  std::optional<LogWriter> log_;
  std::optional<HealthMonitor> health_;
  std::optional<struct winsize> window_ = winsize{24, 80, 0, 0};
  bool init_exited_ = false;
  int exit_status_ = 0;
  Clock::time_point drain_deadline_;
  Clock::time_point started_;
  std::chrono::milliseconds backoff_{0};
  std::optional<Clock::time_point> restart_at_;
  bool no_restart_ = false;
  bool done_ = false;
};

// The caller learns how the start went from a pipe: closed without a word
// when the container runs, "<exit code> <message>" when it couldn't start.
void report_failure(int fd, const Error& error) {
  std::string text = std::to_string(error.exit_code()) + " " + error.text();
  (void)!::write(fd, text.data(), text.size());
}

// The detached monitor's whole life. Runs in the grandchild of the caller,
// in its own session, with /dev/null for stdio.
[[noreturn]] void monitor_main(const Store& store, const std::string& id, int report_fd) {
  ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  auto fail = [&](const Error& error) {
    report_failure(report_fd, error);
    ::_exit(0);
  };
  std::string dir = store.containers_dir() + "/" + id;
  // Held by another monitor: it runs already, and docker's start is then a
  // no-op. (A reader recording a dead monitor's end holds it a moment too.)
  auto lock = MonitorLock::try_acquire(dir);
  for (int attempt = 0; attempt < 50 && lock.ok() && !lock->held(); ++attempt) {
    ::usleep(2000);
    lock = MonitorLock::try_acquire(dir);
  }
  if (!lock.ok()) fail(lock.error());
  if (!lock->held()) ::_exit(0);
  // Read again under the lock: what another process did before is final.
  auto c = load_container(store, id);
  if (!c.ok()) fail(c.error());
  Monitor monitor(store, std::move(*c), std::move(*lock));
  Status opened = monitor.open_socket();
  if (!opened.ok()) fail(opened.error());
  Status launched = monitor.launch();
  if (!launched.ok()) {
    monitor.record_failure(launched.error());
    report_failure(report_fd, launched.error());
    monitor.finish();
    ::_exit(0);
  }
  ::close(report_fd);
  monitor.serve();
  ::_exit(0);
}

}  // namespace

void monitor_process_main(int argc, char** argv) {
  if (argc != 6) ::_exit(kExitSkiffFailed);
  int report_fd = std::atoi(argv[5]);
  auto store = Store::open(argv[2], argv[3]);
  if (!store.ok()) {
    report_failure(report_fd, store.error());
    ::_exit(0);
  }
  monitor_main(*store, argv[4], report_fd);
}

std::string monitor_socket_path(const Store& store, const std::string& id) {
  return store.runroot() + "/containers/" + id + ".sock";
}

Status start_container_detached(const Store& store, const Container& c) {
  if (monitor_alive(c.dir)) return {};  // docker: starting a running container is a no-op
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return errno_error("create a pipe");
  UniqueFd report_read(report[0]), report_write(report[1]);
  // The monitor: a session of its own, so the caller's terminal and
  // process group signals never reach it.
  int fd = report_write.get();
  TRY(spawn_daemon({"skiff", kMonitorCommand, store.root(), store.runroot(), c.id, std::to_string(fd)}, fd,
                   [fd](int err) { report_failure(fd, Error(err, "start the container's monitor")); }));
  report_write.reset();
  std::string why;
  char buf[4096];
  for (ssize_t n; (n = ::read(report_read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    why.append(buf, size_t(n));
  }
  if (why.empty()) return {};
  size_t space = why.find(' ');
  int code = std::atoi(why.substr(0, space).c_str());
  return Error(0, space == std::string::npos ? why : why.substr(space + 1),
               code > 0 ? code : kExitSkiffFailed);
}

}  // namespace skiff
