// skiff ps / skiff container ls|list|ps
#include "base/trace.h"
#include "cli/command.h"
#include "engine/container_list.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  ContainerListOptions list;
  bool quiet = false;
  std::string format;
};

// docker's default table; with --size it gains a SIZE column.
constexpr std::string_view kTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

Result<int> list(Context& ctx, Options opts) {
  const Store* store = TRY(ctx.store());
  // docker measures sizes when a template asks for .Size, even without -s.
  if (!opts.quiet && opts.format.find(".Size") != std::string::npos) opts.list.size = true;
  std::vector<ContainerSummary> listed = TRY(select_listed_containers(*store, opts.list));
  trace("ps: records read");
  if (opts.quiet) {
    std::string ids;
    for (const auto& c : listed)
      ids.append(c.id, 0, opts.list.no_trunc ? std::string::npos : 12).append("\n");
    print_out(ids);
    return 0;
  }
  Json header = {{"ID", "CONTAINER ID"},
                 {"Image", "IMAGE"},
                 {"Command", "COMMAND"},
                 {"CreatedAt", "CREATED AT"},
                 {"RunningFor", "CREATED"},
                 {"Ports", "PORTS"},
                 {"State", "STATE"},
                 {"Status", "STATUS"},
                 {"Size", "SIZE"},
                 {"Names", "NAMES"},
                 {"Labels", "LABELS"},
                 {"Mounts", "MOUNTS"},
                 {"LocalVolumes", "LOCAL VOLUMES"},
                 {"Networks", "NETWORKS"}};
  std::string table_format = std::string(kTable) + (opts.list.size ? "\t{{.Size}}" : "");
  RowFormatter formatter = TRY(RowFormatter::make(opts.format, table_format, header));
  // One row at a time, made with only the fields the format can reach.
  ContainerRows rows(*store, opts.list, [&](std::string_view field) { return formatter.uses_field(field); });
  for (const auto& c : listed) TRY(formatter.add(rows.row(c)));
  std::string text = std::move(formatter).finish();
  trace("ps: formatted");
  print_out(text);
  return 0;
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_flag("-a,--all", opts->list.all, "Show all containers (default shows just running)");
  cmd->add_option(
         "-f,--filter", opts->list.filters,
         "Filter: id=, name=, label=, status=, exited=, ancestor=, before=, since=, network=, volume=")
      ->allow_extra_args(false);
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_option("-n,--last", opts->list.last, "Show the N last created containers (any state)");
  cmd->add_flag("-l,--latest", opts->list.latest, "Show the last created container (any state)");
  cmd->add_flag("--no-trunc", opts->list.no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", opts->quiet, "Only show container IDs");
  cmd->add_flag("-s,--size", opts->list.size, "Display total file sizes");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return list(ctx, *opts); }; });
}

}  // namespace

void add_ps_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("ps", "List containers"), ctx);
  define(container.add_subcommand("ls", "List containers")->alias("list")->alias("ps"), ctx);
}

}  // namespace skiff::cli
