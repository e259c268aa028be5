#include "engine/foreground.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/pipe.h"

namespace skiff {

namespace {

// What `docker run` forwards (its sig-proxy), minus the ones a terminal
// session needs for itself: SIGCHLD is ours, SIGWINCH resizes the pty, and
// stopping signals stop skiff, not the container.
const int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2,
                          SIGTERM, SIGALRM, SIGCONT, SIGPWR,  SIGSYS};

}  // namespace

Status ForegroundSession::prepare(const Options& options) {
  options_ = options;
  // stdin: ours only with -i; through the pty with -t, through a pipe when
  // it is a terminal, else handed over as it is.
  if (options.interactive && !options.tty) {
    if (::isatty(0)) {
      auto [r, w] = TRY(make_pipe());
      owned_[0] = std::move(r);
      stdin_writer_ = std::move(w);
      ::fcntl(stdin_writer_.get(), F_SETFL, O_NONBLOCK);
      container_fds_[0] = owned_[0].get();
    } else {
      container_fds_[0] = 0;
    }
  }
  if ((options.attach || options.log_output) && !options.tty) {
    for (int i = 1; i <= 2; ++i) {
      if (options.log_output || ::isatty(i)) {
        auto [r, w] = TRY(make_pipe());
        output_readers_[i - 1] = std::move(r);
        owned_[i] = std::move(w);
        container_fds_[i] = owned_[i].get();
      } else {
        container_fds_[i] = i;
      }
    }
  }

  std::vector<int> caught(std::begin(kForwarded), std::end(kForwarded));
  caught.insert(caught.end(), {SIGCHLD, SIGWINCH});
  signals_.emplace(caught);
  if (!signals_->valid()) return errno_error("create a signalfd");

  if (options.tty && options.interactive) raw_terminal_.emplace(0);
  return {};
}

std::optional<struct winsize> ForegroundSession::window() const {
  struct winsize ws;
  for (int fd : {0, 1, 2})
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws;
  return std::nullopt;
}

void ForegroundSession::close_container_ends() {
  for (auto& fd : owned_) fd.reset();
}

Result<int> ForegroundSession::relay(pid_t pid, UniqueFd pty_master, LogWriter* log,
                                     const std::vector<PollClient*>& clients) {
  // The container holds its own copies now; ours would keep its pipes open.
  close_container_ends();
  int stdin_target = options_.tty ? (options_.interactive ? pty_master.get() : -1) : stdin_writer_.get();
  bool stdin_open = options_.interactive && stdin_target >= 0;
  std::string pending;  // read from our stdin, not yet taken by the container
  bool exited = false;
  int status = 0;
  char buf[65536];

  auto drain_output = [&](UniqueFd& from, int to, LogStream stream) {
    ssize_t n = ::read(from.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {  // EOF, or EIO on a pty whose every slave is closed
      from.reset();
      return;
    }
    if (log) log->append(stream, std::string_view(buf, size_t(n)), log_clock_now());
    if (to < 0) return;  // logged only (not attached)
    Status written =
        write_all(to, std::string_view(buf, size_t(n)));  // a closed stdout drops output, as a pipe would
    // A pipe of ours with no reader left: the container's pipe loses its
    // reader too, so it gets EPIPE (or SIGPIPE) as if it held ours.
    if (!written.ok() && written.error().errnum() == EPIPE && &from != &pty_master) from.reset();
  };
  // The output pipes exist without attach only for the log.
  int out_targets[2] = {options_.attach ? 1 : -1, options_.attach ? 2 : -1};

  PollSet set;
  for (;;) {
    bool outputs_open = output_readers_[0] || output_readers_[1] || pty_master;
    if (exited && !outputs_open) break;
    set.clear();
    size_t i_sig = set.add(signals_->fd(), POLLIN);
    size_t none = size_t(-1);
    size_t i_in = none, i_pty = none, i_out[2] = {none, none};
    if (stdin_open && !exited)
      i_in = pending.empty() ? set.add(0, POLLIN) : set.add(stdin_target, POLLOUT);
    if (pty_master) i_pty = set.add(pty_master.get(), POLLIN);
    for (int k = 0; k < 2; ++k)
      if (output_readers_[k]) i_out[k] = set.add(output_readers_[k].get(), POLLIN);
    bool serving = !exited;
    if (serving)
      for (PollClient* client : clients) client->add_to(set);
    // Once the container is gone, what it wrote is already in the pipes or
    // the pty: drain without waiting for anything new.
    int ready = set.poll(exited ? 0 : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return errno_error("wait for the container");
    }
    if (exited && ready == 0) break;

    if (set.revents(i_sig) & POLLIN) {
      for (int sig; (sig = signals_->next()) != 0;) {
        if (sig == SIGCHLD) {
          if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
        } else if (sig == SIGWINCH) {
          if (pty_master && window()) {
            struct winsize ws = *window();
            ::ioctl(pty_master.get(), TIOCSWINSZ, &ws);
          }
        } else if (!exited) {
          ::kill(pid, sig);
        }
      }
    }
    if (i_in != none && set.revents(i_in)) {
      if (pending.empty()) {
        ssize_t got = ::read(0, buf, sizeof buf);
        if (got > 0) {
          pending.assign(buf, size_t(got));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          stdin_open = false;
          if (!options_.tty) stdin_writer_.reset();  // the container reads EOF
        }
      }
      if (!pending.empty()) {
        ssize_t put = ::write(stdin_target, pending.data(), pending.size());
        if (put > 0)
          pending.erase(0, size_t(put));
        else if (put < 0 && errno != EAGAIN && errno != EINTR) {
          stdin_open = false;  // the container closed its stdin
          pending.clear();
          if (!options_.tty) stdin_writer_.reset();
        }
      }
    }
    if (i_pty != none && set.revents(i_pty)) drain_output(pty_master, 1, LogStream::kStdout);
    for (int k = 0; k < 2; ++k)
      if (i_out[k] != none && set.revents(i_out[k])) drain_output(output_readers_[k], out_targets[k], LogStream(k));
    if (serving)
      for (PollClient* client : clients) client->handle(set);
  }
  if (log) log->finish(log_clock_now());
  return status;
}

}  // namespace skiff
