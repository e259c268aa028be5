// A container's log in docker's json-file format (DESIGN.md, "Storage"):
// containers/<id>/ctr.log holds one JSON object a line,
//
//   {"log":"text\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
//
// one per line of output (a line without "\n" is a partial one: cut at
// 16 KiB, or the end of the stream). With --log-opt max-size=N a full file
// is renamed ctr.log.1 (ctr.log.1 to ctr.log.2, ...) and a new one begun,
// keeping max-file files in all; with max-file=1 it is replaced.
//
// The writer suits a single-threaded poll loop (the foreground relay, the
// detached monitor): append() takes what one read(2) gave and writes every
// line it completes with one write(2). It never throws and never fails the
// container: a write that fails (ENOSPC, a removed folder) is reported once
// and the output is dropped.
#pragma once

#include <time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/unique_fd.h"

namespace skiff {

inline constexpr const char* kLogFileName = "ctr.log";
/// A partial line reaching this size is written as its own entry (docker's buffer).
inline constexpr size_t kMaxLogLine = 16 * 1024;

enum class LogStream { kStdout = 0, kStderr = 1 };

/// ctr.log for 0, the rotated ctr.log.N for N.
std::string log_file_name(int index);

/// HostConfig.LogConfig as settings.
struct LogConfig {
  std::string type = "json-file";  ///< json-file or none
  uint64_t max_size = 0;           ///< a file this large is rotated before the next entry; 0: never
  int max_file = 1;                ///< files kept in all, ctr.log included
};

/// --log-driver and --log-opt KEY=VALUE checked and made into docker's
/// HostConfig.LogConfig, {"Type": driver, "Config": {key: value}}.
Result<Json> make_log_config_json(const std::string& driver, const std::vector<std::string>& options);

/// A container's LogConfig from its config record (json-file, no limit, when
/// the record predates LogConfig).
Result<LogConfig> container_log_config(const Json& config);

/// Whether output is logged for a container with this driver: json-file,
/// and not --rm (a --rm container's output is handed to the caller uncopied).
bool keeps_log(std::string_view log_driver, bool auto_remove);
/// keeps_log for a container's config record.
bool container_keeps_log(const Json& config);

/// The current time, as the writer stamps entries.
struct timespec log_clock_now();

/// `t` as Go's RFC3339Nano in UTC ("2024-01-02T03:04:05.1234Z": trailing
/// zeros of the fraction dropped), as json-file stores it; `fixed` keeps
/// nine digits, as `docker logs -t` prints it.
std::string log_time_text(const struct timespec& t, bool fixed);

class LogWriter {
 public:
  /// Opens (creates) `dir`/ctr.log for appending.
  static Result<LogWriter> open(const std::string& dir, const LogConfig& config);
  LogWriter(LogWriter&&) = default;
  LogWriter& operator=(LogWriter&&) = default;

  /// Adds what `stream` gave at `now`: each completed line is written.
  void append(LogStream stream, std::string_view bytes, const struct timespec& now);
  /// Writes what is pending of unfinished lines (end of the streams).
  void finish(const struct timespec& now);
  /// The first write failure, reported once on stderr when it happened.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  LogWriter() = default;
  void add_entry(std::string& batch, LogStream stream, std::string_view text, const std::string& time);
  void flush(std::string& batch);
  void rotate();
  void fail(Error error);

  LogConfig config_;
  std::string path_;  ///< for messages
  UniqueFd dir_;
  UniqueFd file_;
  uint64_t size_ = 0;
  bool torn_ = false;  ///< a write stopped mid-entry: start the next one on a new line
  std::string pending_[2];
  std::optional<Error> failure_;
};

/// LogWriter::open for the container in `dir` with config record `config`.
Result<LogWriter> open_container_log(const std::string& dir, const Json& config);

}  // namespace skiff
