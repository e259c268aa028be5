#include "linux/sync_socket.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace skiff {

namespace {
struct Header {
  uint32_t kind;
  int32_t errnum;
};
constexpr size_t kMaxFrame = 1 << 20;
}  // namespace

Result<std::pair<SyncSocket, SyncSocket>> SyncSocket::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return errno_error("create sync socket");
  return std::pair{SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

Status SyncSocket::send(Kind kind, std::string_view payload, int errnum) {
  if (payload.size() > kMaxFrame - sizeof(Header)) payload = payload.substr(0, kMaxFrame - sizeof(Header));
  std::vector<char> buf(sizeof(Header) + payload.size());
  Header h{static_cast<uint32_t>(kind), errnum};
  std::memcpy(buf.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(buf.data() + sizeof h, payload.data(), payload.size());
  for (;;) {
    if (::send(fd_.get(), buf.data(), buf.size(), MSG_NOSIGNAL) >= 0) return {};
    if (errno != EINTR) return errno_error("send on sync socket");
  }
}

Result<SyncSocket::Frame> SyncSocket::receive(std::string_view peer) {
  auto frame = TRY(receive_or_eof(peer));
  if (!frame) return make_error("{} exited without reporting", peer);
  return std::move(*frame);
}

namespace {
// The size of the next frame, waiting for one; 0 at EOF. Frames are sized
// exactly: a buffer of kMaxFrame zeroed for each would cost a page fault
// per 4 KiB, 256 of them per frame (measured: most of a container start).
Result<size_t> next_frame_size(int fd, std::string_view peer) {
  ssize_t n;
  do {
    n = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("receive from {}", peer);
  return std::min(size_t(n), kMaxFrame);
}
}  // namespace

Result<std::optional<SyncSocket::Frame>> SyncSocket::receive_or_eof(std::string_view peer) {
  std::vector<char> buf(TRY(next_frame_size(fd_.get(), peer)));
  if (buf.empty()) return std::optional<Frame>();
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("receive from {}", peer);
  if (n == 0) return std::optional<Frame>();
  if (size_t(n) < sizeof(Header)) return make_error("short frame from {}", peer);
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  return std::optional<Frame>(Frame{static_cast<Kind>(h.kind), h.errnum, std::string(buf.data() + sizeof h, n - sizeof h)});
}

namespace {
// A message of one buffer with room for one descriptor (SCM_RIGHTS).
struct FdMessage {
  struct iovec iov;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  FdMessage(void* data, size_t size) : iov{data, size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
};
}  // namespace

Status SyncSocket::send_fd(int fd) {
  Header h{static_cast<uint32_t>(Kind::kFd), 0};
  FdMessage m(&h, sizeof h);
  struct msghdr& msg = m.msg;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  for (;;) {
    if (::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) >= 0) return {};
    if (errno != EINTR) return errno_error("send descriptor on sync socket");
  }
}

Result<UniqueFd> SyncSocket::receive_fd(std::string_view peer) {
  std::vector<char> buf(TRY(next_frame_size(fd_.get(), peer)));
  if (buf.empty()) return make_error("{} exited without reporting", peer);
  FdMessage m(buf.data(), buf.size());
  struct msghdr& msg = m.msg;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("receive from {}", peer);
  if (n == 0) return make_error("{} exited without reporting", peer);
  if (size_t(n) < sizeof(Header)) return make_error("short frame from {}", peer);
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  UniqueFd received;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      received.reset(fd);
    }
  }
  if (static_cast<Kind>(h.kind) == Kind::kError)
    return Error(h.errnum, std::string(buf.data() + sizeof h, n - sizeof h));
  if (static_cast<Kind>(h.kind) != Kind::kFd || !received) return make_error("{} sent no descriptor", peer);
  return received;
}

}  // namespace skiff
