// skiff volume ls
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> filters;
  std::string format;
  bool quiet = false;
};

const char* kTable = "table {{.Driver}}\t{{.Name}}";

}  // namespace

void add_volume_ls_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("ls", "List volumes")->alias("list");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("-f,--filter", opts->filters,
                  "Filter: dangling=true|false, driver=, label=KEY[=VALUE], name=")
      ->allow_extra_args(false);
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_flag("-q,--quiet", opts->quiet, "Only show volume names");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      std::vector<Json> rows = TRY(list_volume_rows(*TRY(ctx.store()), opts->filters));
      Json header = {{"Availability", "AVAILABILITY"},
                     {"Driver", "DRIVER"},
                     {"Group", "GROUP"},
                     {"Labels", "LABELS"},
                     {"Links", "LINKS"},
                     {"Mountpoint", "MOUNTPOINT"},
                     {"Name", "VOLUME NAME"},
                     {"Scope", "SCOPE"},
                     {"Size", "SIZE"},
                     {"Status", "STATUS"}};
      TRY(print_rows(rows, opts->quiet, "Name", opts->format, kTable, header));
      return 0;
    };
  });
}

}  // namespace skiff::cli
