#include "engine/container_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "base/output.h"

namespace skiff {

namespace {

const char* const kStreamNames[] = {"stdout", "stderr"};

// docker's json-file sizes (go-units RAMInBytes): a number, then an optional
// binary unit k, m, g, t, p, optionally followed by "i" and/or "b".
std::optional<uint64_t> parse_log_size(std::string_view text) {
  size_t i = 0;
  double value = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9')
    value = value * 10 + (text[i++] - '0'), digits = true;
  if (i < text.size() && text[i] == '.') {
    double scale = 0.1;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, scale /= 10)
      value += (text[i] - '0') * scale;
  }
  if (!digits) return std::nullopt;
  std::string unit;
  for (char c : text.substr(i)) unit += char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  static const std::pair<char, double> kUnits[] = {{'k', 1024.0},
                                                   {'m', 1048576.0},
                                                   {'g', 1073741824.0},
                                                   {'t', 1099511627776.0},
                                                   {'p', 1125899906842624.0}};
  double scale = 1;
  if (!unit.empty() && unit[0] != 'b') {
    bool known = false;
    for (auto [letter, bytes] : kUnits)
      if (unit[0] == letter) scale = bytes, known = true;
    if (!known) return std::nullopt;
    unit.erase(0, 1);
    if (unit.starts_with("i")) unit.erase(0, 1);
  }
  if (!unit.empty() && unit != "b") return std::nullopt;
  double bytes = value * scale;
  if (bytes < 1 || bytes > 9e18) return std::nullopt;
  return uint64_t(bytes);
}

std::optional<int> parse_max_file(std::string_view text) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  int n = std::stoi(std::string(text));
  if (n < 1) return std::nullopt;
  return n;
}

const Json* host_log_config(const Json& config) {
  if (!config.is_object() || !config.contains("HostConfig") || !config["HostConfig"].is_object())
    return nullptr;
  const Json& host = config["HostConfig"];
  if (!host.contains("LogConfig") || !host["LogConfig"].is_object()) return nullptr;
  return &host["LogConfig"];
}

// Where a cut at `limit` bytes would split a UTF-8 sequence, the start of
// that sequence, so each entry stays valid UTF-8 (its bytes move to the next).
size_t utf8_cut(std::string_view text, size_t limit) {
  for (size_t back = 1; back <= 3 && back < limit; ++back) {
    unsigned char c = static_cast<unsigned char>(text[limit - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return length > back ? limit - back : limit;
  }
  return limit;
}

// Printable ASCII without quotes or backslashes, and a final newline at most:
// what JSON takes as it is.
bool is_plain(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  return true;
}

}  // namespace

std::string log_file_name(int index) {
  return index == 0 ? std::string(kLogFileName) : std::string(kLogFileName) + "." + std::to_string(index);
}

Result<Json> make_log_config_json(const std::string& driver, const std::vector<std::string>& options) {
  std::string type = driver.empty() ? "json-file" : driver;
  if (type != "json-file" && type != "none")
    return make_error("invalid --log-driver `{}`: skiff supports json-file and none", type);
  std::map<std::string, std::string> config;
  for (const auto& opt : options) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("invalid --log-opt `{}`: expected KEY=VALUE", opt);
    std::string key = opt.substr(0, eq), value = opt.substr(eq + 1);
    if (type == "none")
      return make_error("invalid --log-opt `{}`: the none log driver takes no options", opt);
    if (key == "max-size") {
      if (!parse_log_size(value))
        return make_error("invalid --log-opt `{}`: expected a positive size such as 10m (k, m, g)", opt);
    } else if (key == "max-file") {
      if (!parse_max_file(value))
        return make_error("invalid --log-opt `{}`: expected a number of files, 1 or more", opt);
    } else {
      return make_error("invalid --log-opt `{}`: the json-file log driver takes max-size and max-file", opt);
    }
    config[key] = value;
  }
  if (config.contains("max-file") && *parse_max_file(config["max-file"]) > 1 && !config.contains("max-size"))
    return make_error("invalid --log-opt `max-file={}`: max-file needs max-size", config["max-file"]);
  return Json{{"Type", type}, {"Config", config.empty() ? Json::object() : Json(config)}};
}

Result<LogConfig> container_log_config(const Json& config) {
  LogConfig out;
  const Json* log = host_log_config(config);
  if (!log) return out;
  out.type = log->value("Type", "json-file");
  if (out.type != "json-file" && out.type != "none")
    return make_error("the container's log driver `{}` is not one skiff supports", out.type);
  if (!log->contains("Config") || !(*log)["Config"].is_object()) return out;
  const Json& c = (*log)["Config"];
  if (c.contains("max-size")) {
    auto size = c["max-size"].is_string() ? parse_log_size(c["max-size"].get<std::string>()) : std::nullopt;
    if (!size) return make_error("the container's log option max-size is malformed");
    out.max_size = *size;
  }
  if (c.contains("max-file")) {
    auto files = c["max-file"].is_string() ? parse_max_file(c["max-file"].get<std::string>()) : std::nullopt;
    if (!files) return make_error("the container's log option max-file is malformed");
    out.max_file = *files;
  }
  return out;
}

bool keeps_log(std::string_view log_driver, bool auto_remove) { return !auto_remove && log_driver != "none"; }

bool container_keeps_log(const Json& config) {
  const Json* log = host_log_config(config);
  std::string type = log ? log->value("Type", "json-file") : "json-file";
  bool auto_remove = config.contains("HostConfig") && config["HostConfig"].is_object() &&
                     config["HostConfig"].value("AutoRemove", false);
  return keeps_log(type, auto_remove);
}

struct timespec log_clock_now() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

std::string log_time_text(const struct timespec& t, bool fixed) {
  struct tm tm;
  time_t secs = t.tv_sec;
  ::gmtime_r(&secs, &tm);
  char buf[48];
  size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (fixed || t.tv_nsec != 0) {
    std::string fraction = fmt::format(".{:09d}", long(t.tv_nsec));
    if (!fixed)
      while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  return out + "Z";
}

Result<LogWriter> LogWriter::open(const std::string& dir, const LogConfig& config) {
  LogWriter w;
  w.config_ = config;
  w.path_ = dir + "/" + kLogFileName;
  w.dir_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!w.dir_) return errno_error("open the container's folder `{}`", dir);
  // O_APPEND: each write lands at the end whatever else holds the file;
  // O_NOFOLLOW: a symlink planted in the folder is not written through.
  w.file_.reset(
      ::openat(w.dir_.get(), kLogFileName, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!w.file_) return errno_error("open the container's log `{}/{}`", dir, kLogFileName);
  struct stat st;
  if (::fstat(w.file_.get(), &st) == 0) w.size_ = uint64_t(st.st_size);
  return w;
}

Result<LogWriter> open_container_log(const std::string& dir, const Json& config) {
  return LogWriter::open(dir, TRY(container_log_config(config)));
}

void LogWriter::append(LogStream stream, std::string_view bytes, const struct timespec& now) {
  std::string& pending = pending_[int(stream)];
  std::string time;
  std::string batch;
  auto entry = [&](std::string_view text) {
    if (time.empty()) time = log_time_text(now, false);
    add_entry(batch, stream, text, time);
  };
  // Writes full-size pieces of what is pending while it holds 16 KiB or
  // more of one line (docker's copier buffer), its final newline not counted.
  auto cut_long = [&](bool with_newline) {
    while (pending.size() > kMaxLogLine - (with_newline ? 0 : 1)) {
      size_t cut = utf8_cut(pending, kMaxLogLine);
      entry(std::string_view(pending).substr(0, cut));
      pending.erase(0, cut);
    }
  };
  size_t start = 0;
  while (start < bytes.size()) {
    size_t newline = bytes.find('\n', start);
    if (newline == std::string_view::npos) {
      pending.append(bytes.substr(start));
      cut_long(false);
      break;
    }
    std::string_view line = bytes.substr(start, newline + 1 - start);
    start = newline + 1;
    if (pending.empty() && line.size() <= kMaxLogLine) {
      entry(line);  // the common case: a whole line in one read, no copy
      continue;
    }
    pending.append(line);
    cut_long(true);
    entry(pending);
    pending.clear();
  }
  flush(batch);
}

void LogWriter::finish(const struct timespec& now) {
  std::string time = log_time_text(now, false);
  std::string batch;
  for (int s = 0; s < 2; ++s) {
    if (pending_[s].empty()) continue;
    add_entry(batch, LogStream(s), pending_[s], time);
    pending_[s].clear();
  }
  flush(batch);
}

void LogWriter::add_entry(std::string& batch, LogStream stream, std::string_view text,
                          const std::string& time) {
  // docker rotates before an entry once the file has reached max-size.
  if (config_.max_size > 0 && size_ + batch.size() >= config_.max_size) {
    flush(batch);
    rotate();
  }
  try {
    batch += "{\"log\":";
    if (is_plain(text)) {
      // The common line: printable ASCII needs no escaping but its newline's.
      bool newline = !text.empty() && text.back() == '\n';
      batch += '"';
      batch.append(text.data(), text.size() - newline);
      batch += newline ? "\\n\"" : "\"";
    } else {
      // Control characters escaped, invalid UTF-8 replaced by U+FFFD (as
      // Go's encoder does for docker): every line stays valid JSON.
      batch += Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    batch += ",\"stream\":\"";
    batch += kStreamNames[int(stream)];
    batch += "\",\"time\":\"";
    batch += time;
    batch += "\"}\n";
  } catch (const std::exception& e) {
    fail(make_error("write the container's log `{}`: {}", path_, e.what()));
  }
}

void LogWriter::flush(std::string& batch) {
  if (batch.empty()) return;
  // After a write that stopped mid-entry the file ends with half a line:
  // a newline keeps that fragment on a line of its own (readers skip it).
  if (torn_) batch.insert(0, "\n");
  size_t done = 0;
  while (done < batch.size()) {
    ssize_t n = ::write(file_.get(), batch.data() + done, batch.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno_error("write the container's log `{}`", path_));
      break;
    }
    done += size_t(n);
  }
  size_ += done;
  if (done == batch.size())
    torn_ = false;
  else if (done > 0)
    torn_ = true;
  batch.clear();
}

void LogWriter::rotate() {
  // Each file moves one up (rename replaces the oldest), so a reader holding
  // one keeps reading it; with max-file=1 the full file is dropped.
  if (config_.max_file < 2) {
    ::unlinkat(dir_.get(), kLogFileName, 0);
  } else {
    for (int i = config_.max_file - 1; i >= 1; --i) {
      std::string from = log_file_name(i - 1), to = log_file_name(i);
      if (::renameat(dir_.get(), from.c_str(), dir_.get(), to.c_str()) != 0 && errno != ENOENT) {
        fail(errno_error("rotate the container's log `{}`: rename `{}`", path_, from));
        return;  // go on with the full file: better than losing output
      }
    }
  }
  UniqueFd fresh(::openat(dir_.get(), kLogFileName,
                          O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fresh) {
    fail(errno_error("rotate the container's log: create `{}`", path_));
    return;
  }
  file_ = std::move(fresh);
  size_ = 0;
  torn_ = false;
}

void LogWriter::fail(Error error) {
  if (failure_) return;
  failure_ = error;
  warn("{}; the container runs on, but its output may be missing from `skiff logs`", error.text());
}

}  // namespace skiff
