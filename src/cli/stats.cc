// skiff stats / skiff container stats: resource use of containers, as a
// table redrawn every second, or once with --no-stream.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>

#include "base/output.h"
#include "cli/command.h"
#include "engine/container_stats.h"
#include "linux/proc_table.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool all = false;
  bool no_stream = false;
  bool no_trunc = false;
  std::string format;
};

constexpr std::string_view kTable =
    "table "
    "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

// What to show, and by which name: the containers named (by the name
// given), else the running ones (every one with --all) by ID.
struct Shown {
  Container container;
  std::string as;
};

Result<std::vector<Shown>> containers_to_show(const Store& store, const Options& opts) {
  std::vector<Shown> out;
  for (const auto& name : opts.names) out.push_back({TRY(find_container(store, name)), name});
  if (!opts.names.empty()) return out;
  for (auto& c : list_containers(store)) {
    bool live = c.status() == "running" || c.status() == "paused";
    if (live || opts.all) out.push_back({c, c.id});
  }
  return out;
}

void pause_seconds(double seconds) { ::usleep(useconds_t(seconds * 1e6)); }

Result<int> stats(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  const Json header = {{"Container", "CONTAINER"},
                       {"ID", "CONTAINER ID"},
                       {"Name", "NAME"},
                       {"CPUPerc", "CPU %"},
                       {"MemUsage", "MEM USAGE / LIMIT"},
                       {"MemPerc", "MEM %"},
                       {"NetIO", "NET I/O"},
                       {"BlockIO", "BLOCK I/O"},
                       {"PIDs", "PIDS"}};
  // A bad template fails before the first second is spent.
  TRY(format_rows(opts.format, kTable, header, {}));
  std::vector<Shown> shown = TRY(containers_to_show(*store, opts));
  uint64_t limit = memory_total();
  std::map<std::string, StatsReading> previous;
  auto read_all = [&] {
    std::map<std::string, StatsReading> now;
    for (const auto& s : shown) now[s.container.id] = read_container_stats(s.container);
    return now;
  };
  // CPU use is a rate: the first table compares two readings a second apart.
  previous = read_all();
  bool any_running = false;
  for (const auto& [id, r] : previous) any_running = any_running || r.running;
  if (any_running) pause_seconds(1.0);
  bool terminal = is_terminal(STDOUT_FILENO);
  for (;;) {
    std::map<std::string, StatsReading> now = read_all();
    std::vector<Json> rows;
    for (const auto& s : shown) {
      const StatsReading& r = now[s.container.id];
      auto before = previous.find(s.container.id);
      rows.push_back(stats_row(before == previous.end() ? r : before->second, r, limit, s.as, opts.no_trunc,
                               clock_ticks()));
    }
    std::string table = TRY(format_rows(opts.format, kTable, header, rows));
    // On a terminal each table replaces the last, as docker draws it.
    if (!opts.no_stream && terminal) table = "\033[2J\033[H" + table;
    print_out(table);
    if (std::fflush(stdout) != 0) {
      // The reader went away (`skiff stats | head`): done, as asked.
      if (errno == EPIPE) return 0;
      return errno_error("write the statistics");
    }
    if (opts.no_stream) return 0;
    previous = std::move(now);
    pause_seconds(1.0);
    // Without names the set follows what runs now; a container removed
    // meanwhile drops out of a named set.
    if (opts.names.empty()) {
      shown = TRY(containers_to_show(*store, opts));
    } else {
      for (auto& s : shown)
        if (auto fresh = load_container(*store, s.container.id); fresh.ok()) s.container = std::move(*fresh);
    }
  }
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->names, "Containers to show (default: every running one)");
  cmd->add_flag("-a,--all", opts->all, "Show all containers (default shows just running)");
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_flag("--no-stream", opts->no_stream, "Print one table and exit instead of redrawing every second");
  cmd->add_flag("--no-trunc", opts->no_trunc, "Don't truncate output");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return stats(ctx, *opts); }; });
}

}  // namespace

void add_stats_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("stats", "Display a live stream of resource use of containers"), ctx);
  define(container.add_subcommand("stats", "Display a live stream of resource use of containers"), ctx);
}

}  // namespace skiff::cli
