#include "linux/proc_table.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/fs.h"

namespace skiff {

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The whitespace-separated words of `text`.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// The value of a "Key:   value" line of a /proc file, "" when absent.
std::string_view proc_field(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':')
      return line.substr(key.size() + 1);
    pos = end + 1;
  }
  return {};
}

// /proc files are small and may vanish at any moment: a plain read of at
// most `limit` bytes, "" when the process is gone or the file unreadable.
std::string read_proc_file(const char* path, size_t limit = 64 << 10) {
  auto text = read_file(path, limit);
  return text.ok() ? std::move(*text) : std::string();
}

std::string proc_path(pid_t pid, const char* file) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/%s", int(pid), file);
  return path;
}

}  // namespace

std::optional<ProcessStat> parse_proc_stat(std::string_view text) {
  // The command name (field 2) may hold spaces and parentheses: it ends at
  // the last ')'.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  ProcessStat s;
  std::string_view pid_text = text.substr(0, open);
  while (!pid_text.empty() && pid_text.back() == ' ') pid_text.remove_suffix(1);
  if (!parse_number(pid_text, s.pid)) return std::nullopt;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields 3 onwards; index 0 here is field 3.
  std::vector<std::string_view> f = words_of(text.substr(close + 1));
  if (f.size() < 22 || f[0].size() != 1) return std::nullopt;
  s.state = f[0][0];
  bool ok = parse_number(f[1], s.ppid) && parse_number(f[4], s.tty_nr) && parse_number(f[11], s.utime) &&
            parse_number(f[12], s.stime) && parse_number(f[13], s.cutime) && parse_number(f[14], s.cstime) &&
            parse_number(f[17], s.num_threads) && parse_number(f[19], s.start_time) &&
            parse_number(f[21], s.rss_pages);
  if (!ok) return std::nullopt;
  return s;
}

ProcessIo parse_proc_io(std::string_view text) {
  ProcessIo io;
  auto number = [&](std::string_view key) {
    std::vector<std::string_view> w = words_of(proc_field(text, key));
    uint64_t n = 0;
    return !w.empty() && parse_number(w[0], n) ? n : 0;
  };
  io.read_bytes = number("read_bytes");
  io.write_bytes = number("write_bytes");
  return io;
}

std::optional<uint64_t> parse_smaps_rollup_pss(std::string_view text) {
  std::vector<std::string_view> w = words_of(proc_field(text, "Pss"));
  uint64_t kb = 0;
  if (w.size() != 2 || w[1] != "kB" || !parse_number(w[0], kb)) return std::nullopt;
  return kb * 1024;
}

NetworkBytes parse_net_dev(std::string_view text) {
  NetworkBytes out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // "  eth0: RX bytes packets errs drop fifo frame compressed multicast TX bytes ..."
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::vector<std::string_view> name = words_of(line.substr(0, colon));
    std::vector<std::string_view> f = words_of(line.substr(colon + 1));
    if (name.size() != 1 || name[0] == "lo" || f.size() < 16) continue;
    uint64_t rx = 0, tx = 0;
    if (!parse_number(f[0], rx) || !parse_number(f[8], tx)) continue;
    out.received += rx;
    out.sent += tx;
  }
  return out;
}

uint64_t pid_namespace_of(pid_t pid) {
  // The link reads "pid:[INODE]"; another user's process refuses it.
  char target[64];
  ssize_t n = ::readlink(proc_path(pid, "ns/pid").c_str(), target, sizeof target - 1);
  if (n <= 0) return 0;
  std::string_view text(target, size_t(n));
  if (!text.starts_with("pid:[") || !text.ends_with("]")) return 0;
  uint64_t inode = 0;
  return parse_number(text.substr(5, text.size() - 6), inode) ? inode : 0;
}

std::vector<ProcessNode> read_process_table() {
  std::vector<ProcessNode> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    pid_t pid = 0;
    if (!parse_number(std::string_view(e->d_name), pid) || pid <= 0) continue;
    auto stat = parse_proc_stat(read_proc_file(proc_path(pid, "stat").c_str()));
    if (!stat) continue;
    out.push_back({std::move(*stat), pid_namespace_of(pid)});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const ProcessNode& a, const ProcessNode& b) { return a.stat.pid < b.stat.pid; });
  return out;
}

std::optional<uid_t> process_effective_uid(pid_t pid) {
  std::string text = read_proc_file(proc_path(pid, "status").c_str());
  // "Uid:	real	effective	saved	filesystem"
  std::vector<std::string_view> w = words_of(proc_field(text, "Uid"));
  uid_t uid = 0;
  if (w.size() < 2 || !parse_number(w[1], uid)) return std::nullopt;
  return uid;
}

std::string process_command_line(pid_t pid) {
  std::string text = read_proc_file(proc_path(pid, "cmdline").c_str(), 1 << 20);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

uint64_t process_memory_bytes(pid_t pid, uint64_t rss_pages) {
  // smaps_rollup needs ptrace-read access: the user's own processes and
  // those in a user namespace the user owns (every container's).
  if (auto pss = parse_smaps_rollup_pss(read_proc_file(proc_path(pid, "smaps_rollup").c_str()))) return *pss;
  return rss_pages * uint64_t(::sysconf(_SC_PAGESIZE));
}

ProcessIo process_io(pid_t pid) { return parse_proc_io(read_proc_file(proc_path(pid, "io").c_str())); }

int64_t boot_time() {
  std::string text = read_proc_file("/proc/stat", 1 << 20);
  // "btime 1700000000": a key without a colon.
  size_t pos = text.find("\nbtime ");
  if (pos == std::string::npos) return 0;
  std::string_view rest = std::string_view(text).substr(pos + 7);
  rest = rest.substr(0, rest.find('\n'));
  int64_t t = 0;
  return parse_number(rest, t) ? t : 0;
}

uint64_t memory_total() {
  std::string text = read_proc_file("/proc/meminfo");
  std::vector<std::string_view> w = words_of(proc_field(text, "MemTotal"));
  uint64_t kb = 0;
  return w.size() == 2 && parse_number(w[0], kb) ? kb * 1024 : 0;
}

double uptime_seconds() {
  std::string text = read_proc_file("/proc/uptime");
  std::vector<std::string_view> w = words_of(text);
  if (w.empty()) return 0;
  return std::strtod(std::string(w[0]).c_str(), nullptr);
}

long clock_ticks() {
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? ticks : 100;
}

}  // namespace skiff
