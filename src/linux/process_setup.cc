#include "linux/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/trace.h"
#include "linux/seccomp_profile.h"

namespace skiff {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// The user the command runs as: groups, gid, uid, in that order (setgroups
// and setgid need the privileges setuid gives up).
Status become_user(const ExecUser& user, bool may_setgroups) {
  if (may_setgroups) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) return errno_error("set supplementary groups");
  } else if (!user.additional_gids.empty()) {
    return make_error("supplementary groups need a subordinate gid range (see `skiff info`)");
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0) {
    if (errno == EINVAL)
      return make_error("gid {} is not mapped in the container (see `skiff info`)", user.gid);
    return errno_error("set gid {}", user.gid);
  }
  if (::setresuid(user.uid, user.uid, user.uid) != 0) {
    if (errno == EINVAL)
      return make_error("uid {} is not mapped in the container (see `skiff info`)", user.uid);
    return errno_error("set uid {}", user.uid);
  }
  return {};
}

}  // namespace

void reset_signal_handling() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
}

Status set_up_pty(const std::optional<struct winsize>& window, SyncSocket& sock, const ExecUser& user) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return errno_error("open `/dev/ptmx`");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return errno_error("unlock the pty");
  // TIOCGPTPEER opens the slave without a path lookup in the image's /dev.
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return errno_error("open the pty's slave");
  if (window) (void)::ioctl(slave.get(), TIOCSWINSZ, &*window);
  // The command may reopen its terminal once it runs as its own user.
  (void)::fchown(slave.get(), user.uid, -1);
  if (::setsid() < 0) return errno_error("start a session");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return errno_error("set the controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) return errno_error("set up the terminal as stdio");
  return sock.send_fd(master.get());
}

Status install_stdio(const int stdio[3], bool tty, int null_fd) {
  for (int i = 0; i < 3; ++i) {
    if (tty && stdio[i] < 0) continue;
    int fd = stdio[i] >= 0 ? stdio[i] : null_fd;
    if (fd != i && ::dup2(fd, i) < 0) return errno_error("set up stdio");
    if (fd == i) ::fcntl(i, F_SETFD, 0);
  }
  return {};
}

Status exec_init(const InitExec& exec, SyncSocket& sock) {
  static const std::vector<sock_filter> kUnconfined;
  const std::vector<sock_filter>& seccomp = exec.seccomp ? *exec.seccomp : kUnconfined;

  // No descriptor of skiff's, or of whoever started skiff, survives exec.
  ::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  // The init reports exec failures on the sync socket: it must survive one exec.
  int sync_fd = sock.fd();
  if (::fcntl(sync_fd, F_SETFD, 0) != 0) return errno_error("pass the sync socket");
  if (::fcntl(exec.init_fd, F_SETFD, FD_CLOEXEC) != 0) return errno_error("prepare the init");

  // Privileges last. Without no_new_privs, loading seccomp needs
  // CAP_SYS_ADMIN, so it goes before capabilities are dropped (docker's
  // profile allows what comes after); with it, seccomp goes last.
  if (exec.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return errno_error("set no_new_privs");
  if (!exec.no_new_privileges) TRY(load_seccomp(seccomp));
  TRY(apply_capabilities(exec.capabilities, [&] { return become_user(exec.user, exec.may_setgroups); }));
  if (exec.no_new_privileges) TRY(load_seccomp(seccomp));

  trace("child: exec init");
  std::string sync_arg = std::to_string(sync_fd);
  std::vector<std::string> args{"skiff-init"};
  if (exec.stay_init) args.push_back("-i");
  if (exec.die_with_parent) args.push_back("-p");
  args.insert(args.end(), {"-s", sync_arg, "--"});
  args.insert(args.end(), exec.argv.begin(), exec.argv.end());
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(exec.env);
  ::syscall(SYS_execveat, exec.init_fd, "", argv.data(), envp.data(), AT_EMPTY_PATH);
  return errno_error("execute skiff's init");
}

Status wait_for_init_exec(SyncSocket& sock, ChildProcess& process) {
  // EOF means the command was exec'd; a frame is the reason it wasn't.
  auto frame = TRY(sock.receive_or_eof("container"));
  if (!frame) return {};
  Error error = SyncSocket::to_error(*frame);
  int status = TRY(process.wait());
  // The init's message already says why (docker's wording): no strerror.
  if (WIFEXITED(status) &&
      (WEXITSTATUS(status) == kExitCannotExecute || WEXITSTATUS(status) == kExitNotFound))
    return Error(0, frame->payload, WEXITSTATUS(status));
  return error;
}

}  // namespace skiff
