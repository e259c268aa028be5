#include "linux/sync_socket.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/unix_socket.h"

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

Status SyncSocket::send_fd(int fd) {
  Header h{static_cast<uint32_t>(Kind::kFd), 0};
  if (send_with_fd(fd_.get(), &h, sizeof h, fd) < 0) return errno_error("send descriptor on sync socket");
  return {};
}

Result<UniqueFd> SyncSocket::receive_fd(std::string_view peer) {
  std::vector<char> buf(TRY(next_frame_size(fd_.get(), peer)));
  if (buf.empty()) return make_error("{} exited without reporting", peer);
  UniqueFd received;
  ssize_t n = receive_with_fd(fd_.get(), buf.data(), buf.size(), received);
  if (n < 0) return errno_error("receive from {}", peer);
  if (n == 0) return make_error("{} exited without reporting", peer);
  if (size_t(n) < sizeof(Header)) return make_error("short frame from {}", peer);
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  if (static_cast<Kind>(h.kind) == Kind::kError)
    return Error(h.errnum, std::string(buf.data() + sizeof h, n - sizeof h));
  if (static_cast<Kind>(h.kind) != Kind::kFd || !received) return make_error("{} sent no descriptor", peer);
  return received;
}

}  // namespace skiff
