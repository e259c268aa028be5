// Parent and child talk over one SOCK_SEQPACKET pair: each send is one frame,
// so a frame is never split or merged. The child ends every conversation with
// either an ok frame or an error frame (errno + message), which the parent
// turns back into an Error; a child that dies without a frame is reported as
// such, never as silence.
//
// Message order for a user-namespace child (linux/userns.h):
//   child  -> parent  kReady   "I have unshared; write my ID maps"
//   parent -> child   kReady   "maps written; go on" (or kError: give up)
//   child  -> parent  kValue*  zero or more results (JSON text)
//   child  -> parent  kOk | kError   the last frame
//
// The container launcher's order is in linux/container_launch.h.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

class SyncSocket {
 public:
  enum class Kind : uint32_t { kReady = 1, kOk = 2, kError = 3, kValue = 4, kFd = 5 };
  struct Frame {
    Kind kind;
    int errnum = 0;
    std::string payload;
  };

  /// A connected pair: [0] for the parent, [1] for the child.
  static Result<std::pair<SyncSocket, SyncSocket>> make_pair();

  SyncSocket() = default;
  explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  Status send(Kind kind, std::string_view payload = {}, int errnum = 0);
  Status send_error(const Error& error) { return send(Kind::kError, error.message(), error.errnum()); }
  /// Sends a kFd frame carrying a duplicate of `fd` (SCM_RIGHTS).
  Status send_fd(int fd);
  /// Receives a kFd frame; any other frame (an error from the peer) or EOF is an Error.
  Result<UniqueFd> receive_fd(std::string_view peer);
  /// Blocks for the next frame; EOF (peer gone) is an error naming `peer`.
  Result<Frame> receive(std::string_view peer);
  /// Like receive, but the peer closing its end is std::nullopt, not an error.
  Result<std::optional<Frame>> receive_or_eof(std::string_view peer);
  /// The Error a kError frame carries.
  static Error to_error(const Frame& frame) { return Error(frame.errnum, frame.payload); }
  void close() { fd_.reset(); }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

}  // namespace skiff
