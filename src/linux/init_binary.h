// skiff's container init (src/init/skiff_init.c), embedded in the skiff
// binary and handed out as a sealed memfd. The container's first process is
// skiff until it execs; if it exec'd the user's command, a `#!/proc/self/exe`
// script would re-run skiff inside the container, which could then open the
// host binary via /proc/PID/exe and overwrite it (runc's CVE-2019-5736). So it
// fexecve()s this init instead: /proc/self/exe is then a memfd that nobody
// can write, grow or shrink.
//
// The init's command line: `skiff-init [-i] [-s FD] -- PROGRAM [ARG...]`.
//   -s FD  a SOCK_SEQPACKET socket (SyncSocket's frame layout): if PROGRAM
//          can't be executed, one kError frame (errno, docker's message) is
//          sent on it; a successful exec closes it (EOF).
//   -i     stay PID 1: run PROGRAM in a child, reap every child, forward
//          signals to it and exit with its code (128+N if killed by signal N).
// Exit codes: 127 not found, 126 found but not executable, 125 the init's own
// failure (a bad command line, fork).
#pragma once

#include <span>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

/// A memfd (O_CLOEXEC) holding the init binary, sealed against writing,
/// growing, shrinking and further sealing. Execute it with
/// execveat(fd, "", argv, envp, AT_EMPTY_PATH) (fexecve).
Result<UniqueFd> open_init_binary();

/// The embedded static init binary.
std::span<const unsigned char> init_binary_bytes();

}  // namespace skiff
