// skiff top: a running container's processes as docker top shows them.
// Without ps options, the columns of `ps -ef` (UID PID PPID C STIME TTY TIME
// CMD, host PIDs), made from /proc by skiff; with them, the host's ps run
// with those options, keeping the lines whose PID column is one of the
// container's processes (engine/container_processes.h), as docker does.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/containers.h"

namespace skiff {

/// docker's answer: column titles and, per process, one cell per title
/// (the last holds the rest of the line, spaces and all).
struct TopTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

/// docker top for `container` with `ps_args` (none: ps -ef's columns).
/// "container X is not running" when it doesn't run.
Result<TopTable> container_top(const Container& container, const std::vector<std::string>& ps_args);

// ---- ps -ef's columns, as procps writes them (pure) ---------------------

/// UID: the user name, cut to 7 characters and "+" when longer than 8, or
/// the number when the uid has no name.
std::string ps_user_column(uid_t uid, const std::optional<std::string>& name);
/// C: CPU use over the process's life in percent, 0-99.
std::string ps_cpu_column(uint64_t cpu_ticks, uint64_t start_ticks, double uptime_seconds,
                          long ticks_per_second);
/// STIME: "HH:MM" when started today, "MonDD" this year, else the year.
std::string ps_start_column(const struct tm& start, const struct tm& now);
/// TTY: "pts/N", "ttyN", "ttySN", or "?" for none or another device.
std::string ps_tty_column(int tty_nr);
/// TIME: CPU time as "[D-]HH:MM:SS".
std::string ps_time_column(uint64_t cpu_ticks, long ticks_per_second);
/// CMD: the command line, or "[comm]" when there is none ("[comm]
/// <defunct>" for a zombie).
std::string ps_command_column(std::string_view command_line, std::string_view comm, char state);

/// The lines of ps output (a header, then a line a process) whose PID
/// column holds one of `pids`. "Couldn't find PID field in ps output" when
/// the header has no PID.
Result<TopTable> filter_ps_output(std::string_view output, const std::vector<pid_t>& pids);

/// docker's check of ps options: a column renamed to PID... (`-o user=PID`)
/// would make another column pass for the PID one, and is refused.
Status check_ps_args(const std::vector<std::string>& ps_args);

}  // namespace skiff
