// skiff network ls
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> filters;
  std::string format;
  bool quiet = false;
  bool no_trunc = false;
};

const char* kTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

Result<int> list(Context& ctx, const Options& opts) {
  std::vector<Json> rows = TRY(list_network_rows(*TRY(ctx.store()), opts.filters));
  if (!opts.no_trunc)
    for (auto& row : rows) row["ID"] = row["ID"].get<std::string>().substr(0, 12);
  Json header = {{"CreatedAt", "CREATED AT"}, {"Driver", "DRIVER"}, {"ID", "NETWORK ID"}, {"IPv6", "IPV6"},
                 {"Internal", "INTERNAL"},    {"Labels", "LABELS"}, {"Name", "NAME"},     {"Scope", "SCOPE"}};
  TRY(print_rows(rows, opts.quiet, "ID", opts.format, kTable, header));
  return 0;
}

}  // namespace

void add_network_ls_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("ls", "List networks")->alias("list");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("-f,--filter", opts->filters,
                  "Filter: name=, id=, driver=, label=KEY[=VALUE], type=builtin|custom, dangling=true|false")
      ->allow_extra_args(false);
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_flag("-q,--quiet", opts->quiet, "Only show network IDs");
  cmd->add_flag("--no-trunc", opts->no_trunc, "Show full network IDs");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return list(ctx, *opts); }; });
}

}  // namespace skiff::cli
