// Local SOCK_SEQPACKET sockets by path: each send is one message, so a
// protocol needs no framing. Paths longer than sun_path allows are reached
// through /proc/self/fd of their open folder.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// Listens at `path` (replacing a socket file left there), non-blocking,
/// close-on-exec, mode 0600.
Result<UniqueFd> listen_unix(const std::string& path);

/// Connects to the socket at `path` (blocking, close-on-exec).
Result<UniqueFd> connect_unix(const std::string& path);

/// Sends one message: a type byte and its payload. EPIPE and the like come
/// back as errors (never SIGPIPE).
Status send_message(int fd, char type, std::string_view payload, bool wait = true);

/// sendmsg(2) of `size` bytes at `data` with a duplicate of descriptor `fd`
/// (none when -1) as SCM_RIGHTS: EINTR retried, never SIGPIPE. Returns
/// sendmsg's result (-1 with errno).
ssize_t send_with_fd(int sock, const void* data, size_t size, int fd);

/// recvmsg(2) into `data` (close-on-exec descriptors, EINTR retried):
/// returns its result (-1 with errno, 0 at end of stream); a descriptor
/// that came with the bytes goes to `fd`.
ssize_t receive_with_fd(int sock, void* data, size_t size, UniqueFd& fd);

/// Sends one message carrying a duplicate of descriptor `passed` (SCM_RIGHTS).
Status send_message_with_fd(int fd, char type, std::string_view payload, int passed);

/// Receives one message into `type` and `payload`; false at end of stream.
/// A descriptor sent with it goes to `passed` (closed when not wanted).
Result<bool> receive_message(int fd, char& type, std::string& payload, UniqueFd* passed = nullptr);

/// The largest payload send_message carries.
inline constexpr size_t kMaxMessagePayload = 64 * 1024;

}  // namespace skiff
