#include "linux/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace skiff {

Status spawn_daemon(const std::vector<std::string>& args, int keep, const std::function<void(int)>& exec_failed) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork `{}`", args.empty() ? "skiff" : args[0]);
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    for (int i = 0; i < 3; ++i) ::dup2(null.get(), i);
    // Nothing of the caller's working folder stays busy.
    (void)!::chdir("/");
    if (keep >= 0) ::fcntl(keep, F_SETFD, 0);
    // The caller's blocked signals (a signalfd's) would stay blocked
    // across the exec.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // A fresh skiff: the caller's heap and the code it ran are not the
    // daemon's to keep for its whole life (a fork would keep both resident).
    ::execv("/proc/self/exe", const_cast<char* const*>(argv.data()));
    if (exec_failed) exec_failed(errno);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {};
}

}  // namespace skiff
