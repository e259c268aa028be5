// The host's processes as /proc shows them, for `top` and `stats`: one
// reading of every /proc/PID/stat (and PID namespace), then the details of
// the few processes asked about. Nothing here signals or joins a process;
// the parsers are pure and unit tested.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

/// The fields of /proc/PID/stat that skiff reads.
struct ProcessStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::string comm;     ///< field 2, without its parentheses
  int tty_nr = 0;       ///< the controlling terminal's device number, 0 for none
  uint64_t utime = 0;   ///< clock ticks in user mode
  uint64_t stime = 0;   ///< clock ticks in kernel mode
  uint64_t cutime = 0;  ///< utime of its children that it waited for
  uint64_t cstime = 0;  ///< stime of its children that it waited for
  uint64_t num_threads = 0;
  uint64_t start_time = 0;  ///< clock ticks after boot
  uint64_t rss_pages = 0;
};

/// Parses /proc/PID/stat text; nullopt when it is not one.
std::optional<ProcessStat> parse_proc_stat(std::string_view text);

/// A process of the host table: its stat and the inode of its PID
/// namespace (0 when /proc/PID/ns/pid can't be read: another user's).
struct ProcessNode {
  ProcessStat stat;
  uint64_t pid_namespace = 0;
};

/// Every process of the host now (those that end while being read are
/// left out), in PID order.
std::vector<ProcessNode> read_process_table();

/// The inode of /proc/PID/ns/pid, 0 when it can't be read.
uint64_t pid_namespace_of(pid_t pid);

/// The effective uid of a process (/proc/PID/status), nullopt when gone.
std::optional<uid_t> process_effective_uid(pid_t pid);

/// /proc/PID/cmdline as ps prints it: the arguments joined by spaces; ""
/// for a kernel thread or a zombie.
std::string process_command_line(pid_t pid);

/// The memory a process uses: its proportional set size
/// (/proc/PID/smaps_rollup, shared pages split among their users) where
/// readable, else its resident set size.
uint64_t process_memory_bytes(pid_t pid, uint64_t rss_pages);

/// read_bytes and write_bytes of /proc/PID/io (0 when unreadable).
struct ProcessIo {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};
ProcessIo process_io(pid_t pid);

/// Parses /proc/PID/io text.
ProcessIo parse_proc_io(std::string_view text);

/// The "Pss:" line of /proc/PID/smaps_rollup text, in bytes.
std::optional<uint64_t> parse_smaps_rollup_pss(std::string_view text);

/// Received and sent bytes of every interface but loopback in
/// /proc/PID/net/dev text.
struct NetworkBytes {
  uint64_t received = 0;
  uint64_t sent = 0;
};
NetworkBytes parse_net_dev(std::string_view text);

/// The system's boot time (btime of /proc/stat), Unix seconds; 0 unknown.
int64_t boot_time();

/// MemTotal of /proc/meminfo in bytes; 0 unknown.
uint64_t memory_total();

/// Seconds since boot (/proc/uptime), 0 unknown.
double uptime_seconds();

/// Clock ticks per second (sysconf(_SC_CLK_TCK)).
long clock_ticks();

}  // namespace skiff
