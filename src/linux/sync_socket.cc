#include "linux/sync_socket.h"

#include <sys/socket.h>

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
  std::vector<char> buf(kMaxFrame);
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("receive from {}", peer);
  if (n == 0) return make_error("{} exited without reporting", peer);
  if (size_t(n) < sizeof(Header)) return make_error("short frame from {}", peer);
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  return Frame{static_cast<Kind>(h.kind), h.errnum, std::string(buf.data() + sizeof h, n - sizeof h)};
}

}  // namespace skiff
