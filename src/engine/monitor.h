// The monitor of a detached container (DESIGN.md, "The process model"): a
// setsid'd copy of this skiff process that is the parent of the container's
// init. It holds the container's MonitorLock, copies its output to the log
// and to attached clients, records its exit, removes it for --rm and
// restarts it by its policy, for as long as it lives.
//
// Its socket, <runroot>/containers/<id>.sock (SOCK_SEQPACKET: one message a
// send, a type byte first, base/unix_socket.h):
//   client -> monitor  'a' FLAGS    attach; FLAGS holds i, o, e: stdin, stdout, stderr
//                      'i' BYTES    for the container's stdin (after 'a' with i)
//                      'c'          close the container's stdin
//                      'r' "R C"    the client's terminal has R rows and C columns
//                      'n'          no restart: the client is stopping the container
//   monitor -> client  'o' BYTES    the container's stdout (everything, with a tty)
//                      'e' BYTES    its stderr
//                      'k'          'n' is done
//                      'x' CODE     the container ended with CODE; the connection closes
#pragma once

#include <string>

#include "base/error.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

/// Starts `container` in the background under a new monitor; returns once
/// its command runs, or with why it couldn't start (exit codes as
/// start_container's). A container that already runs is left as it is.
Status start_container_detached(const Store& store, const Container& container);

/// A monitor process's entry: `skiff __monitor ROOT RUNROOT ID REPORT_FD`,
/// exec'd by start_container_detached (main.cc hands it argv before any
/// parsing). Never returns.
[[noreturn]] void monitor_process_main(int argc, char** argv);
inline constexpr const char* kMonitorCommand = "__monitor";

/// Where the monitor of container `id` listens.
std::string monitor_socket_path(const Store& store, const std::string& id);

}  // namespace skiff
