// skiff logs / skiff container logs
#include <unistd.h>

#include "base/fs.h"
#include "base/units.h"
#include "cli/command.h"
#include "engine/containers.h"
#include "engine/log_reader.h"

namespace skiff::cli {

namespace {

struct Options {
  std::string container;
  bool follow = false;
  std::string tail = "all";
  std::string since;
  std::string until;
  bool timestamps = false;
  bool details = false;
};

Result<std::optional<struct timespec>> parse_time_flag(const char* flag, const std::string& value,
                                                       const struct timespec& now) {
  if (value.empty()) return std::optional<struct timespec>();
  auto t = parse_time_or_duration(value, now);
  if (!t)
    return make_error("invalid {} `{}`: expected an RFC 3339 time, Unix seconds or a duration such as 10m",
                      flag, value);
  return t;
}

Result<int64_t> parse_tail(const std::string& value) {
  if (value == "all") return int64_t(-1);
  if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
    return make_error("invalid --tail `{}`: expected a number of lines or all", value);
  return int64_t(std::stoll(value));
}

Result<int> logs(Context& ctx, const Options& o) {
  struct timespec now = log_clock_now();
  LogReadOptions read{.follow = o.follow,
                      .tail = TRY(parse_tail(o.tail)),
                      .since = TRY(parse_time_flag("--since", o.since, now)),
                      .until = TRY(parse_time_flag("--until", o.until, now)),
                      .timestamps = o.timestamps,
                      .details = o.details,
                      .output_fd = STDOUT_FILENO};
  const Store* store = TRY(ctx.store());
  Container container = TRY(find_container(*store, o.container));
  // Byte for byte, each stream to ours; a reader that went away ends it.
  LogSink sink = [](LogStream stream, std::string_view text) {
    return write_all(stream == LogStream::kStdout ? STDOUT_FILENO : STDERR_FILENO, text).ok();
  };
  TRY(read_container_log(*store, container, read, sink));
  return 0;
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->container, "The container whose output to show")->required();
  cmd->add_flag("-f,--follow", opts->follow, "Follow the output until the container stops");
  cmd->add_option("-n,--tail", opts->tail, "Show only the last N lines (default all)");
  cmd->add_option("--since", opts->since,
                  "Show lines since a time (RFC 3339, Unix seconds) or a duration ago (10m)");
  cmd->add_option("--until", opts->until,
                  "Show lines until a time (RFC 3339, Unix seconds) or a duration ago (10m)");
  cmd->add_flag("-t,--timestamps", opts->timestamps, "Start each line with its time");
  cmd->add_flag("--details", opts->details, "Show the extra attributes of each line (skiff records none)");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return logs(ctx, *opts); }; });
}

}  // namespace

void add_logs_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("logs", "Show a container's output"), ctx);
  define(container.add_subcommand("logs", "Show a container's output"), ctx);
}

}  // namespace skiff::cli
