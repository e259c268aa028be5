// Sockets made inside a container's network namespace, for the monitor,
// which lives in the host's. A socket belongs for its whole life to the
// namespace of the process that made it, so the monitor keeps a small
// helper that joined the container's user and network namespaces and makes
// them on request; the monitor then connects, reads and writes them itself.
//
// The helper is a fork of the monitor, forked on the first request (a
// container nobody connects to never has one). It needs no privilege on the
// host: the monitor's user owns the container's user namespace, so a
// process of ours holds every capability in it and may join it, and, once
// inside, the network namespace it owns. It dies with the monitor
// (PR_SET_PDEATHSIG) and ends when its socket closes.
//
// Protocol (SOCK_SEQPACKET): monitor -> helper {int32 family, int32 type};
// helper -> monitor {int32 errno} with the socket in SCM_RIGHTS when 0.
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "base/unique_fd.h"
#include "linux/child_process.h"

namespace skiff {

class NetnsSockets {
 public:
  /// Opens the network (and user) namespace of process `pid` now, while
  /// it surely is the container's init; the helper comes later.
  static Result<NetnsSockets> open(pid_t pid);
  NetnsSockets() = default;
  NetnsSockets(NetnsSockets&&) = default;
  NetnsSockets& operator=(NetnsSockets&&) = default;
  /// Closes the helper's socket and reaps it.
  ~NetnsSockets();

  /// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) in the
  /// container's network namespace. Forks the helper on first use.
  Result<UniqueFd> make_socket(int family, int type);

 private:
  Status start_helper();
  UniqueFd userns_;  ///< invalid when the container shares our user namespace
  UniqueFd netns_;
  UniqueFd channel_;
  ChildProcess helper_;
};

}  // namespace skiff
