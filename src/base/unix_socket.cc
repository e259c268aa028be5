#include "base/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace skiff {

namespace {

// Fills `addr` for `path`; a path too long for sun_path goes through its
// folder, opened into `dir` (which must outlive the bind or connect).
Status make_address(const std::string& path, sockaddr_un& addr, UniqueFd& dir) {
  addr = {};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  if (path.size() >= sizeof addr.sun_path) {
    size_t slash = path.rfind('/');
    std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
    dir.reset(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return errno_error("open `{}`", folder);
    target = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof addr.sun_path) return make_error("socket path `{}` is too long", path);
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  return {};
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path) {
  sockaddr_un addr;
  UniqueFd dir;
  TRY(make_address(path, addr, dir));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno_error("create a socket");
  ::unlink(addr.sun_path);
  // The socket file is made 0600 from the start: nobody else may connect.
  mode_t old = ::umask(0077);
  int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (bound != 0) return errno_error("bind `{}`", path);
  if (::listen(fd.get(), 16) != 0) return errno_error("listen on `{}`", path);
  return fd;
}

Result<UniqueFd> connect_unix(const std::string& path) {
  sockaddr_un addr;
  UniqueFd dir;
  TRY(make_address(path, addr, dir));
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("create a socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return errno_error("connect to `{}`", path);
  return fd;
}

Status send_message(int fd, char type, std::string_view payload, bool wait) {
  std::string message(1, type);
  message.append(payload);
  for (;;) {
    ssize_t n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
    if (n >= 0) return {};
    if (errno != EINTR) return errno_error("send a message");
  }
}

ssize_t send_with_fd(int sock, const void* data, size_t size, int fd) {
  iovec iov{const_cast<void*>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  }
  ssize_t n;
  while ((n = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n;
}

ssize_t receive_with_fd(int sock, void* data, size_t size, UniqueFd& fd) {
  iovec iov{data, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(sizeof(int))) continue;
    int got;
    std::memcpy(&got, CMSG_DATA(c), sizeof got);
    fd.reset(got);
  }
  return n;
}

Status send_message_with_fd(int fd, char type, std::string_view payload, int passed) {
  std::string message(1, type);
  message.append(payload);
  if (send_with_fd(fd, message.data(), message.size(), passed) < 0) return errno_error("send a message");
  return {};
}

Result<bool> receive_message(int fd, char& type, std::string& payload, UniqueFd* passed) {
  payload.resize(kMaxMessagePayload + 1);
  UniqueFd got;
  ssize_t n = receive_with_fd(fd, payload.data(), payload.size(), got);
  if (n < 0) return errno_error("receive a message");
  if (passed) *passed = std::move(got);
  if (n == 0) return false;
  type = payload[0];
  payload.erase(0, 1);
  payload.resize(size_t(n) - 1);
  return true;
}

}  // namespace skiff
