#include "engine/attach.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <optional>
#include <span>

#include "base/fs.h"
#include "base/terminal.h"
#include "base/unix_socket.h"
#include "engine/container_process.h"
#include "engine/monitor.h"

namespace skiff {

namespace {

void send_window(int socket) {
  struct winsize ws;
  for (int fd : {0, 1, 2})
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
      (void)send_message(socket, 'r', std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col));
      return;
    }
}

// Finds the detach keys in what is typed, across reads: bytes that may
// begin the sequence are held back until it is clear they don't.
class DetachScanner {
 public:
  explicit DetachScanner(std::string keys) : keys_(std::move(keys)) {}
  /// Appends to `out` what should go to the container; true when the keys were typed.
  bool feed(std::string_view in, std::string& out) {
    for (char ch : in) {
      if (ch == keys_[held_.size()]) {
        held_ += ch;
        if (held_.size() == keys_.size()) return true;
        continue;
      }
      out += held_;
      held_.clear();
      if (ch == keys_[0]) {
        held_ += ch;
        if (keys_.size() == 1) return true;
      } else {
        out += ch;
      }
    }
    return false;
  }

 private:
  std::string keys_;
  std::string held_;
};

}  // namespace

Result<std::string> parse_detach_keys(std::string_view text) {
  std::string keys;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view key =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (key.size() == 1) {
      keys += key[0];
    } else if (key.size() == 6 && key.starts_with("ctrl-")) {
      char ch = key[5];
      if (ch >= 'a' && ch <= 'z')
        keys += char(ch - 'a' + 1);
      else if (ch == '@' || (ch >= '[' && ch <= '_'))
        keys += char(ch == '@' ? 0 : ch - '[' + 27);
      else
        return make_error("invalid detach keys `{}`: unknown key `{}`", text, key);
    } else {
      return make_error("invalid detach keys `{}`: use a comma list of single characters or ctrl-<key>",
                        text);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (keys.empty()) return make_error("invalid detach keys `{}`", text);
  return keys;
}

Result<AttachResult> attach_container(const Store& store, const Container& c, const AttachOptions& options) {
  if (c.status() != "running") return make_error("You cannot attach to a stopped container, start it first");
  bool tty = c.config["Config"].value("Tty", false);
  bool with_stdin = options.stdin && c.config["Config"].value("OpenStdin", false);
  UniqueFd socket = TRY(std::move(connect_unix(monitor_socket_path(store, c.id)))
                            .wrap("attach to container {}: its monitor doesn't answer (a container run in "
                                  "the foreground can't be attached)",
                                  c.name()));
  TRY(send_message(socket.get(), 'a', with_stdin ? "ioe" : "oe"));

  std::optional<RawTerminal> raw;
  if (tty && with_stdin) raw.emplace(0);
  static constexpr int kResize[] = {SIGWINCH};
  static constexpr int kProxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
  SignalCatcher signals(tty ? std::span<const int>(kResize) : std::span<const int>(kProxied));
  if (!signals.valid()) return errno_error("create a signalfd");
  if (tty) send_window(socket.get());
  DetachScanner scanner(options.detach_keys.empty() ? std::string("\x10\x11") : options.detach_keys);

  bool stdin_open = with_stdin;
  char buf[32 * 1024];
  std::string payload;
  for (;;) {
    struct pollfd fds[3] = {{socket.get(), POLLIN, 0}, {signals.fd(), POLLIN, 0}, {0, POLLIN, 0}};
    int n = ::poll(fds, stdin_open ? 3 : 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("wait for the container");
    }
    if (fds[1].revents) {
      for (int sig; (sig = signals.next()) != 0;) {
        if (sig == SIGWINCH)
          send_window(socket.get());
        else if (options.sig_proxy)
          (void)signal_container(c, sig);
      }
    }
    if (stdin_open && fds[2].revents) {
      ssize_t got = ::read(0, buf, sizeof buf);
      if (got > 0) {
        std::string out;
        bool detach = scanner.feed(std::string_view(buf, size_t(got)), out);
        if (!out.empty()) TRY(send_message(socket.get(), 'i', out));
        if (detach) return AttachResult{.detached = true};
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
        if (!tty) (void)send_message(socket.get(), 'c', "");
      }
    }
    if (fds[0].revents) {
      char type;
      bool more = TRY(receive_message(socket.get(), type, payload));
      if (!more) {
        // The monitor went without a word: what it recorded is the answer.
        auto now = load_container(store, c.id);
        return AttachResult{.exit_code = now.ok() ? now->state.value("ExitCode", 0) : 255};
      }
      if (type == 'o') (void)write_all(1, payload);
      if (type == 'e') (void)write_all(2, payload);
      if (type == 'x') return AttachResult{.exit_code = std::atoi(payload.c_str())};
    }
  }
}

}  // namespace skiff
