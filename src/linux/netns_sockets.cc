#include "linux/netns_sockets.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/unix_socket.h"

namespace skiff {

namespace {

struct Request {
  int32_t family;
  int32_t type;
};

bool same_namespace(int fd, const char* own) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(own, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

Status send_reply(int channel, int errnum, int fd) {
  int32_t value = errnum;
  if (send_with_fd(channel, &value, sizeof value, fd) < 0) return errno_error("send");
  return {};
}

// The helper's whole life, in the forked child: single-threaded, a copy of
// the monitor. Returns its exit code.
int helper_main(int userns, int netns, int channel) {
  // Helper: forked from the monitor, in the host's namespaces, as the user.
  // Die with the monitor; it may have died before the prctl.
  pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return 1;
  // Undumpable before the first setns: in the container's user namespace
  // its root is our uid, and could otherwise ptrace us (our root and mount
  // namespace are the host's).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return 1;
  // The user namespace first: joining it gives every capability in it,
  // which joining the network namespace it owns requires.
  if ((userns >= 0 && ::setns(userns, CLONE_NEWUSER) != 0) || ::setns(netns, CLONE_NEWNET) != 0) {
    (void)send_reply(channel, errno, -1);
    return 1;
  }
  // Helper: in the container's user and network namespaces, nothing else
  // of the monitor's kept open.
  int keep = ::fcntl(channel, F_DUPFD_CLOEXEC, 3);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  ::dup2(keep, 3);
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  channel = 3;
  for (;;) {
    Request req;
    ssize_t n = ::recv(channel, &req, sizeof req, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != ssize_t(sizeof req)) return 0;  // the monitor closed its end
    int s = ::socket(req.family, req.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!send_reply(channel, s < 0 ? errno : 0, s).ok()) return 0;
    if (s >= 0) ::close(s);
  }
}

}  // namespace

Result<NetnsSockets> NetnsSockets::open(pid_t pid) {
  NetnsSockets out;
  std::string base = "/proc/" + std::to_string(pid) + "/ns/";
  out.netns_.reset(::open((base + "net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!out.netns_) return errno_error("open the network namespace of process {}", pid);
  out.userns_.reset(::open((base + "user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!out.userns_) return errno_error("open the user namespace of process {}", pid);
  if (same_namespace(out.userns_.get(), "/proc/self/ns/user")) out.userns_.reset();
  return out;
}

NetnsSockets::~NetnsSockets() {
  channel_.reset();  // the helper reads EOF and exits
  if (helper_.pid() > 0) (void)helper_.wait();
}

Status NetnsSockets::start_helper() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
    return errno_error("create a socket pair");
  UniqueFd ours(pair[0]), theirs(pair[1]);
  int userns = userns_.get(), netns = netns_.get(), channel = theirs.get();
  helper_ = TRY(ChildProcess::fork([=] { return helper_main(userns, netns, channel); }));
  channel_ = std::move(ours);
  return {};
}

Result<UniqueFd> NetnsSockets::make_socket(int family, int type) {
  if (!netns_) return make_error("no container network namespace");
  if (!channel_) TRY(std::move(start_helper()).wrap("start the helper in the container's network namespace"));
  Request req{family, type};
  if (::send(channel_.get(), &req, sizeof req, MSG_NOSIGNAL) != ssize_t(sizeof req)) {
    channel_.reset();
    return errno_error("ask for a socket in the container's network namespace");
  }
  int32_t errnum = 0;
  UniqueFd made;
  if (receive_with_fd(channel_.get(), &errnum, sizeof errnum, made) != ssize_t(sizeof errnum)) {
    channel_.reset();
    return make_error("the helper in the container's network namespace is gone");
  }
  if (errnum != 0) return Error(errnum, "make a socket in the container's network namespace");
  if (!made) return make_error("the helper sent no socket");
  return made;
}

}  // namespace skiff
