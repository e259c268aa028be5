#include "engine/log_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/json.h"
#include "base/units.h"

namespace skiff {

namespace {

constexpr size_t kChunk = 64 * 1024;
// While following, the container's state is read again at least this often:
// a monitor that died leaves no event in the folder.
constexpr int kRecheckMs = 1000;

bool before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// One log file being read, and the start of a line not yet complete.
struct OpenLog {
  UniqueFd fd;
  ino_t inode = 0;
  std::string carry;
};

std::optional<OpenLog> open_log(int dir_fd, const std::string& name) {
  // Only a regular file is read: nothing else belongs there (O_NONBLOCK: a
  // FIFO put in its place doesn't block the open).
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return OpenLog{std::move(fd), st.st_ino, {}};
}

// Filters entries, adds the prefixes, and hands the text on in batches: a
// batch ends where the stream changes, so stdout and stderr keep their order.
class LogPrinter {
 public:
  LogPrinter(const LogReadOptions& options, const LogSink& sink) : options_(options), sink_(sink) {}

  /// False once reading should stop: past --until, or the sink refused.
  bool line(std::string_view text) {
    auto entry = parse_log_entry(text);
    if (!entry) return true;
    if (options_.since && before(entry->time, *options_.since)) return true;
    if (options_.until && before(*options_.until, entry->time)) return false;
    int s = int(entry->stream);
    if (!out_.empty() && entry->stream != out_stream_ && !flush()) return false;
    out_stream_ = entry->stream;
    // The prefixes begin lines: a line written in pieces (cut at 16 KiB)
    // gets one.
    if (at_line_start_[s]) {
      if (options_.timestamps) out_ += log_time_text(entry->time, true) + " ";
      if (options_.details) out_ += " ";
    }
    at_line_start_[s] = !entry->text.empty() && entry->text.back() == '\n';
    out_ += entry->text;
    return out_.size() < kChunk || flush();
  }

  bool flush() {
    if (out_.empty()) return true;
    bool more = sink_(out_stream_, out_);
    out_.clear();
    return more;
  }

 private:
  const LogReadOptions& options_;
  const LogSink& sink_;
  std::string out_;
  LogStream out_stream_ = LogStream::kStdout;
  bool at_line_start_[2] = {true, true};
};

// Reads `log` to its end, each complete line to `printer`; false to stop.
bool drain(OpenLog& log, LogPrinter& printer) {
  char buf[kChunk];
  for (;;) {
    ssize_t n = ::read(log.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    std::string_view data(buf, size_t(n));
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      bool more;
      if (log.carry.empty()) {
        more = printer.line(data.substr(start, nl - start));
      } else {
        log.carry.append(data.substr(start, nl - start));
        more = printer.line(log.carry);
        log.carry.clear();
      }
      if (!more) return false;
    }
    log.carry.append(data.substr(start));
  }
}

// Where the last `wanted` complete lines of `fd` begin, with how many it
// has (fewer than wanted: all of them, from offset 0). A final fragment
// without its newline is no line.
std::pair<off_t, int64_t> find_tail(int fd, int64_t wanted) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return {0, 0};
  char buf[kChunk];
  int64_t newlines = 0;
  off_t pos = st.st_size;
  while (pos > 0) {
    size_t n = size_t(std::min<off_t>(pos, off_t(sizeof buf)));
    pos -= off_t(n);
    if (::pread(fd, buf, n, pos) != ssize_t(n)) return {0, newlines};
    for (size_t i = n; i-- > 0;)
      if (buf[i] == '\n' && ++newlines == wanted + 1) return {pos + off_t(i) + 1, wanted};
  }
  return {0, newlines};
}

// The rotated files that exist (ctr.log.1, ctr.log.2, ...), oldest first.
std::vector<std::string> rotated_names(int dir_fd) {
  std::vector<std::string> names;
  struct stat st;
  for (int i = 1; ::fstatat(dir_fd, log_file_name(i).c_str(), &st, 0) == 0; ++i)
    names.push_back(log_file_name(i));
  std::reverse(names.begin(), names.end());
  return names;
}

// Following: what the writer did to the files since `current`, the newest
// file read so far, was read. Reads on until `current` is ctr.log as it is
// now, moving on through the files it was rotated into; false to stop.
bool catch_up(int dir_fd, std::optional<OpenLog>& current, LogPrinter& printer) {
  for (;;) {
    if (current && !drain(*current, printer)) return false;
    struct stat st;
    // No ctr.log (none yet, or a rotation half done): the next event tells.
    if (::fstatat(dir_fd, kLogFileName, &st, 0) != 0) return true;
    if (current && st.st_ino == current->inode) return true;
    // Rotated: the writer no longer writes our file, which drain() read to
    // its end. The files newer than ours are read in order; when ours was
    // dropped (max-file reached) every file that is left is newer.
    std::vector<std::string> names = rotated_names(dir_fd);
    if (current) {
      auto ours = std::find_if(names.begin(), names.end(), [&](const std::string& name) {
        struct stat r;
        return ::fstatat(dir_fd, name.c_str(), &r, 0) == 0 && r.st_ino == current->inode;
      });
      if (ours != names.end()) names.erase(names.begin(), ours + 1);
    }
    for (const auto& name : names) {
      auto log = open_log(dir_fd, name);
      if (!log) continue;
      if (!drain(*log, printer)) return false;
      current = std::move(log);
    }
    auto fresh = open_log(dir_fd, kLogFileName);
    if (!fresh) return true;
    current = std::move(fresh);
  }
}

// What woke a follower: only the log files changed; something else did
// (the state file replaced, the folder moved away by rm) or time passed;
// the reader of the output went away.
enum class Wake { kLog, kState, kOutputGone };

// Blocks until the folder changes, `output_fd` hangs up, or `timeout_ms`.
Wake wait_for_change(int inotify_fd, int output_fd, int timeout_ms) {
  struct pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {output_fd, 0, 0}};
  int n = ::poll(fds, output_fd >= 0 ? 2 : 1, timeout_ms);
  if (n > 0 && output_fd >= 0 && (fds[1].revents & (POLLERR | POLLHUP))) return Wake::kOutputGone;
  if (n <= 0) return Wake::kState;
  Wake wake = Wake::kLog;
  alignas(struct inotify_event) char buf[4096];
  for (ssize_t got; (got = ::read(inotify_fd, buf, sizeof buf)) > 0;) {
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(buf + at);
      // Events on the folder itself have no name.
      std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view();
      if (!name.starts_with(kLogFileName)) wake = Wake::kState;
      at += ssize_t(sizeof(struct inotify_event) + event->len);
    }
  }
  return wake;
}

// The lines the writer makes of plain text (container_log.cc), read without
// a JSON parser: {"log":"TEXT[\n]","stream":"stdout|stderr","time":"T"}
// with no backslash in TEXT but that of its final newline. nullopt for
// anything else, which the JSON parser then reads.
std::optional<LogEntry> parse_plain_entry(std::string_view line) {
  constexpr std::string_view kHead = "{\"log\":\"", kStdout = "\",\"stream\":\"stdout\",\"time\":\"",
                             kStderr = "\",\"stream\":\"stderr\",\"time\":\"", kTail = "\"}";
  if (!line.starts_with(kHead)) return std::nullopt;
  size_t end = line.find('"', kHead.size());
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view text = line.substr(kHead.size(), end - kHead.size());
  bool newline = text.ends_with("\\n");
  if (newline) text.remove_suffix(2);
  if (text.find('\\') != std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(end);
  LogEntry entry;
  if (rest.starts_with(kStdout)) {
    entry.stream = LogStream::kStdout;
  } else if (rest.starts_with(kStderr)) {
    entry.stream = LogStream::kStderr;
  } else {
    return std::nullopt;
  }
  rest.remove_prefix(kStdout.size());
  if (!rest.ends_with(kTail)) return std::nullopt;
  auto when = parse_rfc3339(rest.substr(0, rest.size() - kTail.size()));
  if (!when) return std::nullopt;
  entry.time = *when;
  entry.text.reserve(text.size() + newline);
  entry.text.assign(text);
  if (newline) entry.text += '\n';
  return entry;
}

}  // namespace

std::optional<LogEntry> parse_log_entry(std::string_view line) {
  if (auto entry = parse_plain_entry(line)) return entry;
  if (line.empty() || line.front() != '{') return std::nullopt;
  auto json = parse_json(line, "log entry");
  if (!json.ok() || !json->is_object()) return std::nullopt;
  auto log = json->find("log");
  auto stream = json->find("stream");
  auto time = json->find("time");
  if (log == json->end() || !log->is_string() || stream == json->end() || !stream->is_string() ||
      time == json->end() || !time->is_string())
    return std::nullopt;
  LogEntry entry;
  const std::string& s = stream->get_ref<const std::string&>();
  if (s == "stdout")
    entry.stream = LogStream::kStdout;
  else if (s == "stderr")
    entry.stream = LogStream::kStderr;
  else
    return std::nullopt;
  auto when = parse_rfc3339(time->get_ref<const std::string&>());
  if (!when) return std::nullopt;
  entry.time = *when;
  entry.text = log->get<std::string>();
  return entry;
}

Status read_log_files(const std::string& dir, const LogReadOptions& options,
                      const std::function<bool()>& running, const LogSink& sink) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return errno_error("open the container's folder `{}`", dir);
  // Following: the watch is set before anything is read, so no change
  // after the first read goes unnoticed.
  UniqueFd inotify;
  if (options.follow) {
    inotify.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!inotify) return errno_error("watch the container's log");
    uint32_t mask =
        IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MOVE_SELF | IN_DELETE_SELF;
    if (::inotify_add_watch(inotify.get(), dir.c_str(), mask) < 0)
      return errno_error("watch the container's log `{}`", dir);
  }
  bool live = options.follow && running();

  // Every file opened at once, oldest first: a rotation meanwhile renames
  // them but doesn't change what these descriptors read. ctr.log is opened
  // first: rotated after, it is among the rotated names (skipped there, by
  // its inode), where opened last it could be a new, empty one while its
  // predecessor's lines were never listed.
  std::optional<OpenLog> newest = open_log(dir_fd.get(), kLogFileName);
  std::vector<OpenLog> files;
  for (const auto& name : rotated_names(dir_fd.get())) {
    auto log = open_log(dir_fd.get(), name);
    if (!log || (newest && log->inode == newest->inode)) continue;
    if (std::any_of(files.begin(), files.end(), [&](const OpenLog& f) { return f.inode == log->inode; })) continue;
    files.push_back(std::move(*log));
  }
  if (newest) files.push_back(std::move(*newest));
  size_t first = 0;
  if (options.tail >= 0) {
    // The last N lines over all files: counted back from the newest.
    int64_t wanted = options.tail;
    first = files.size();
    while (first > 0) {
      auto [offset, found] = find_tail(files[first - 1].fd.get(), wanted);
      --first;
      if (found == wanted) {
        ::lseek(files[first].fd.get(), offset, SEEK_SET);
        break;
      }
      wanted -= found;
    }
  }

  LogPrinter printer(options, sink);
  bool more = true;
  for (size_t i = first; i < files.size() && more; ++i) more = drain(files[i], printer);
  if (!more || !live) {
    printer.flush();
    return {};
  }
  std::optional<OpenLog> current;
  if (!files.empty()) current = std::move(files.back());
  files.clear();

  // The state is read before a catch-up when something but the log changed
  // (the monitor replaces state.json) and at least every kRecheckMs (a
  // chatty container's writes alone don't make it read again). Once it says
  // "not running", what the container wrote is in the files and the
  // catch-up that follows takes it all.
  bool still = true;
  Wake wake = Wake::kState;
  auto checked = std::chrono::steady_clock::now();
  for (;;) {
    auto tick = std::chrono::steady_clock::now();
    if (wake == Wake::kState || tick - checked >= std::chrono::milliseconds(kRecheckMs)) {
      still = running();
      checked = tick;
    }
    if (!catch_up(dir_fd.get(), current, printer) || !printer.flush()) return {};
    if (!still) return {};
    int timeout = kRecheckMs;
    if (options.until) {
      struct timespec now = log_clock_now();
      if (before(*options.until, now)) return {};
      double left = double(options.until->tv_sec - now.tv_sec) + (options.until->tv_nsec - now.tv_nsec) / 1e9;
      timeout = int(std::min<double>(kRecheckMs, left * 1000 + 1));
    }
    wake = wait_for_change(inotify.get(), options.output_fd, timeout);
    if (wake == Wake::kOutputGone) return {};
  }
}

Status read_container_log(const Store& store, const Container& container, const LogReadOptions& options,
                          const LogSink& sink) {
  LogConfig config = TRY(container_log_config(container.config));
  if (config.type == "none") return make_error("configured logging driver does not support reading");
  auto running = [&] {
    auto now = load_container(store, container.id);
    return now.ok() && now->status() == "running";
  };
  return read_log_files(container.dir, options, running, sink);
}

}  // namespace skiff
