#include "linux/process_info.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace skiff {

uint64_t process_start_time(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'.
  char* p = std::strrchr(buf, ')');
  if (!p) return 0;
  // Each step lands on the space before field 3, 4, ... 22 (starttime).
  for (int field = 3; field <= 22; ++field) {
    p = std::strchr(p + 1, ' ');
    if (!p) return 0;
  }
  return std::strtoull(p + 1, nullptr, 10);
}

Result<UniqueFd> open_process(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return Error(ESRCH, "no process");
  UniqueFd fd(int(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd && errno == ENOSYS) return make_error("this needs pidfds (Linux 5.8 or later)");
  if (!fd) return errno_error("open process {}", pid);
  // The pidfd names whatever has the PID now; the start time says whether
  // that is still ours. Checked after opening, so it can't change after.
  if (start_time == 0 || process_start_time(pid) != start_time)
    return Error(ESRCH, fmt::format("process {} has ended", pid));
  return fd;
}

Status send_signal(int pidfd, int signal) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0)
    return errno_error("send signal {}", signal);
  return {};
}

}  // namespace skiff
