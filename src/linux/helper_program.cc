#include "linux/helper_program.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/child_process.h"

namespace skiff {

Result<pid_t> spawn_helper_program(const std::vector<std::string>& args, UniqueFd& stderr_read) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return errno_error("run {}", args[0]);
  stderr_read.reset(err_pipe[0]);
  UniqueFd write_end(err_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  // Nothing of our signal handling reaches it: no blocked signals (a
  // foreground run blocks those it forwards), every disposition the
  // default (we ignore SIGPIPE).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0].c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error(rc, fmt::format("run {}", args[0]));
  return pid;
}

Status finish_helper_program(const std::string& program, pid_t pid, int stderr_read) {
  std::string output;
  char buf[512];
  ssize_t n;
  while ((n = ::read(stderr_read, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) output.append(buf, size_t(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  return make_error("{} {}{}", program, describe_wait_status(status), output.empty() ? "" : ": " + output);
}

Status run_helper_program(const std::vector<std::string>& args) {
  UniqueFd stderr_read;
  pid_t pid = TRY(spawn_helper_program(args, stderr_read));
  return finish_helper_program(args[0], pid, stderr_read.get());
}

}  // namespace skiff
