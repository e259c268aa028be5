#include "image/inflating_pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "image/spool_file.h"
#include "image/stream.h"

namespace skiff {

Result<InflatingPipe> InflatingPipe::start(int fd, const std::string& what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("create pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  auto [parent_sock, child_sock] = TRY(SyncSocket::make_pair());
  ChildProcess child = TRY(ChildProcess::fork([&, &child_sock = child_sock, &parent_sock = parent_sock]() {
    // Child: forked, the host's user; reads `fd`, writes the pipe. Its copy
    // of the read end goes, so that the reader closing its own is EPIPE here.
    read_end.reset();
    parent_sock.close();
    FileSink out(write_end.get(), "the inflated stream");
    InflatingSink inflater(out);
    Status pumped = pump_fd(fd, inflater, what);
    if (!pumped.ok()) {
      (void)child_sock.send_error(pumped.error());
      return 1;
    }
    (void)child_sock.send(SyncSocket::Kind::kOk);
    return 0;
  }));
  child_sock.close();
  return InflatingPipe(std::move(read_end), std::move(child), std::move(parent_sock));
}

Status InflatingPipe::wait() {
  auto frame = sock_.receive_or_eof("the inflater");
  auto status = child_.wait();
  if (!frame.ok()) return std::move(frame).error();
  if (*frame && (*frame)->kind == SyncSocket::Kind::kError) return SyncSocket::to_error(**frame);
  if (*frame && (*frame)->kind == SyncSocket::Kind::kOk) return {};
  if (!status.ok()) return std::move(status).error();
  return make_error("the inflater {}", describe_wait_status(*status));
}

Status InflatingPipe::finish() {
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(read_end_.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  read_end_.reset();
  return wait();
}

Status InflatingPipe::abandon() {
  read_end_.reset();
  // A child still waiting for its source (a stalled pipe) would keep us
  // waiting: it has a moment to say why it failed, then it is killed.
  struct pollfd ready{sock_.fd(), POLLIN, 0};
  if (::poll(&ready, 1, 1000) <= 0) return {};
  Status status = wait();
  if (!status.ok() && status.error().errnum() == EPIPE) return {};
  return status;
}

bool starts_compressed(int fd, off_t offset) {
  unsigned char head[6] = {};
  if (::pread(fd, head, sizeof head, offset) != ssize_t(sizeof head)) return false;
  return (head[0] == 0x1f && head[1] == 0x8b) || std::memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0 ||
         std::memcmp(head,
                     "\xfd"
                     "7zXZ\0",
                     6) == 0 ||
         std::memcmp(head, "BZh", 3) == 0;
}

}  // namespace skiff
