// Reading a container's json-file log (engine/container_log.h) the way
// `docker logs` shows it: the rotated files oldest first, then ctr.log;
// --tail, --since, --until, -t, --details; and with -f, new entries as they
// come (inotify on the container's folder, a rotated ctr.log reopened) until
// the container no longer runs.
#pragma once

#include <time.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/container_log.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff {

/// One line of ctr.log.
struct LogEntry {
  LogStream stream = LogStream::kStdout;
  std::string text;  ///< what the container wrote, "\n" included (none on a partial line)
  struct timespec time = {};
};

/// Parses one line of a json-file log; nullopt for a malformed one (the
/// fragment a failed write left).
std::optional<LogEntry> parse_log_entry(std::string_view line);

struct LogReadOptions {
  bool follow = false;
  int64_t tail = -1;                                    ///< only the last N entries over all files; -1: all
  std::optional<struct timespec> since = std::nullopt;  ///< entries before it are skipped
  std::optional<struct timespec> until = std::nullopt;  ///< reading ends at the first entry after it
  bool timestamps = false;  ///< each line starts with its RFC3339Nano time and a space
  bool details = false;     ///< each line starts with its attributes and a space (skiff records none)
  int output_fd = -1;       ///< while following: the reader of this pipe going away ends it
};

/// Receives output: text for one stream. Returns false to stop reading.
using LogSink = std::function<bool(LogStream stream, std::string_view text)>;

/// Reads the log in `dir` (a container's folder) to `sink`. With follow,
/// goes on while `running()` says the container runs, and returns once it
/// doesn't and everything it wrote was read.
Status read_log_files(const std::string& dir, const LogReadOptions& options,
                      const std::function<bool()>& running, const LogSink& sink);

/// `skiff logs`: read_log_files for `container`, following while
/// load_container says it is running (and exists). A container whose log
/// driver is none has nothing to read: docker's error.
Status read_container_log(const Store& store, const Container& container, const LogReadOptions& options,
                          const LogSink& sink);

}  // namespace skiff
