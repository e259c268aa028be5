#include "engine/container_top.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "base/unique_fd.h"
#include "engine/container_processes.h"
#include "linux/child_process.h"
#include "linux/proc_table.h"

namespace skiff {

namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::string> user_name(uid_t uid) {
  // The host's users, as ps shows them (NSS: LDAP users of a shared host too).
  struct passwd pw, *found = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found) return std::nullopt;
  return std::string(found->pw_name);
}

struct ProgramOutput {
  int status = 0;
  std::string out, err;
};

// Runs `argv` (looked up in PATH) with stdout and stderr captured.
Result<ProgramOutput> run_program(const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return errno_error("run {}", args[0]);
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return errno_error("run {}", args[0]);
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Error(rc, fmt::format("run {}", args[0]));
  ChildProcess child = ChildProcess::adopt(pid);
  out_write.reset();
  err_write.reset();
  ProgramOutput result;
  struct pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_error("read the output of {}", args[0]);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[16384];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      if (sinks[i]->size() > (64u << 20)) return make_error("{} wrote more than 64 MiB", args[0]);
      sinks[i]->append(buf, size_t(n));
    }
  }
  result.status = TRY(child.wait());
  return result;
}

// `ps ARGS -q PID,...` (only those processes), and as docker, `ps ARGS`
// again when ps refuses -q with those options.
Result<std::string> run_ps(const std::vector<std::string>& ps_args, const std::vector<pid_t>& pids) {
  std::vector<std::string> args{"ps"};
  args.insert(args.end(), ps_args.begin(), ps_args.end());
  std::vector<std::string> restricted = args;
  std::string list;
  for (pid_t pid : pids) list += (list.empty() ? "" : ",") + std::to_string(pid);
  restricted.push_back("-q");
  restricted.push_back(list);
  ProgramOutput ps = TRY(run_program(restricted));
  if (WIFEXITED(ps.status) && WEXITSTATUS(ps.status) == 0) return ps.out;
  ps = TRY(run_program(args));
  if (WIFEXITED(ps.status) && WEXITSTATUS(ps.status) == 0) return ps.out;
  // ps's own first line says why.
  std::string why = ps.err.substr(0, ps.err.find('\n'));
  if (why.empty()) why = describe_wait_status(ps.status);
  return make_error("ps: {}", why);
}

TopTable default_top(const ContainerProcesses& processes) {
  TopTable table;
  table.titles = {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"};
  long hz = clock_ticks();
  double uptime = uptime_seconds();
  int64_t boot = boot_time();
  time_t now = ::time(nullptr);
  struct tm now_tm {};
  ::localtime_r(&now, &now_tm);
  std::map<uid_t, std::optional<std::string>> names;
  for (const ProcessNode& node : processes.processes) {
    const ProcessStat& s = node.stat;
    auto uid = process_effective_uid(s.pid);
    if (!uid) continue;  // ended meanwhile
    if (!names.contains(*uid)) names[*uid] = user_name(*uid);
    time_t started = time_t(boot + int64_t(s.start_time / uint64_t(hz)));
    struct tm start_tm {};
    ::localtime_r(&started, &start_tm);
    uint64_t cpu = s.utime + s.stime;
    table.processes.push_back({ps_user_column(*uid, names[*uid]), std::to_string(s.pid),
                               std::to_string(s.ppid), ps_cpu_column(cpu, s.start_time, uptime, hz),
                               ps_start_column(start_tm, now_tm), ps_tty_column(s.tty_nr),
                               ps_time_column(cpu, hz),
                               ps_command_column(process_command_line(s.pid), s.comm, s.state)});
  }
  return table;
}

}  // namespace

std::string ps_user_column(uid_t uid, const std::optional<std::string>& name) {
  if (!name) return std::to_string(uid);
  if (name->size() > 8) return name->substr(0, 7) + "+";
  return *name;
}

std::string ps_cpu_column(uint64_t cpu_ticks, uint64_t start_ticks, double uptime_seconds,
                          long ticks_per_second) {
  // procps: CPU seconds * 100 over the life in seconds (whole seconds of
  // uptime less whole seconds of start), capped at 99.
  uint64_t hz = uint64_t(ticks_per_second > 0 ? ticks_per_second : 100);
  uint64_t up = uint64_t(uptime_seconds > 0 ? uptime_seconds : 0), started = start_ticks / hz;
  uint64_t life = up > started ? up - started : 0;
  uint64_t percent = life ? cpu_ticks * 100 / hz / life : 0;
  return std::to_string(std::min<uint64_t>(percent, 99));
}

std::string ps_start_column(const struct tm& start, const struct tm& now) {
  const char* format = "%H:%M";
  if (start.tm_yday != now.tm_yday) format = "%b%d";
  if (start.tm_year != now.tm_year) format = "%Y";
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &start);
  return std::string(buf, n);
}

std::string ps_tty_column(int tty_nr) {
  unsigned major = (unsigned(tty_nr) >> 8) & 0xfff;
  unsigned minor = (unsigned(tty_nr) & 0xff) | ((unsigned(tty_nr) >> 12) & 0xfff00);
  if (tty_nr == 0) return "?";
  // Unix98 pseudo-terminals take majors 136-143, 256 minors each.
  if (major >= 136 && major <= 143) return "pts/" + std::to_string((major - 136) * 256 + minor);
  if (major == 4) return minor < 64 ? "tty" + std::to_string(minor) : "ttyS" + std::to_string(minor - 64);
  return "?";
}

std::string ps_time_column(uint64_t cpu_ticks, long ticks_per_second) {
  uint64_t seconds = cpu_ticks / uint64_t(ticks_per_second > 0 ? ticks_per_second : 100);
  uint64_t days = seconds / 86400;
  std::string out = days ? fmt::format("{}-", days) : "";
  return out + fmt::format("{:02}:{:02}:{:02}", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
}

std::string ps_command_column(std::string_view command_line, std::string_view comm, char state) {
  if (!command_line.empty()) return std::string(command_line);
  return fmt::format("[{}]{}", comm, state == 'Z' ? " <defunct>" : "");
}

Result<TopTable> filter_ps_output(std::string_view output, const std::vector<pid_t>& pids) {
  std::set<pid_t> wanted(pids.begin(), pids.end());
  TopTable table;
  size_t pid_column = std::string::npos;
  size_t pos = 0;
  bool header = true;
  while (pos < output.size()) {
    size_t end = output.find('\n', pos);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(pos, end - pos);
    pos = end + 1;
    std::vector<std::string_view> fields = fields_of(line);
    if (header) {
      header = false;
      for (size_t i = 0; i < fields.size(); ++i) {
        table.titles.emplace_back(fields[i]);
        if (fields[i] == "PID") pid_column = i;
      }
      if (pid_column == std::string::npos) return make_error("Couldn't find PID field in ps output");
      continue;
    }
    if (fields.size() <= pid_column) continue;
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(fields[pid_column].data(),
                                   fields[pid_column].data() + fields[pid_column].size(), pid);
    if (ec != std::errc() || p != fields[pid_column].data() + fields[pid_column].size() ||
        !wanted.contains(pid))
      continue;
    // As docker: one cell per title, the last one holding the rest of the line.
    std::vector<std::string> row;
    for (size_t i = 0; i < fields.size() && i + 1 < table.titles.size(); ++i) row.emplace_back(fields[i]);
    if (fields.size() >= table.titles.size()) {
      std::string rest;
      for (size_t i = table.titles.size() - 1; i < fields.size(); ++i)
        rest += (rest.empty() ? "" : " ") + std::string(fields[i]);
      row.push_back(rest);
    }
    table.processes.push_back(std::move(row));
  }
  if (pid_column == std::string::npos) return make_error("Couldn't find PID field in ps output");
  return table;
}

Status check_ps_args(const std::vector<std::string>& ps_args) {
  for (const auto& arg : ps_args) {
    for (size_t eq = arg.find('='); eq != std::string::npos; eq = arg.find('=', eq + 1)) {
      std::string_view value = std::string_view(arg).substr(eq + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (!value.starts_with("PID")) continue;
      std::string_view key = std::string_view(arg).substr(0, eq);
      if (size_t sep = key.find_last_of(", "); sep != std::string_view::npos) key = key.substr(sep + 1);
      if (key != "pid")
        return make_error("specifying \"{}={}\" is not allowed", key,
                          value.substr(0, value.find_first_of(", ")));
    }
  }
  return {};
}

Result<TopTable> container_top(const Container& c, const std::vector<std::string>& ps_args) {
  TRY(check_ps_args(ps_args));
  ContainerProcesses processes = TRY(list_container_processes(c));
  if (ps_args.empty()) return default_top(processes);
  std::vector<pid_t> pids;
  for (const auto& node : processes.processes) pids.push_back(node.stat.pid);
  std::string output = TRY(run_ps(ps_args, pids));
  return filter_ps_output(output, pids);
}

}  // namespace skiff
