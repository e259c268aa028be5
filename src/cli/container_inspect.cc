// skiff container inspect (skiff inspect, in image_inspect.cc, looks for
// containers first too)
#include "cli/command.h"
#include "engine/container_list.h"
#include "engine/containers.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
  bool size = false;
};

Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  auto inspect_one = [&](const std::string& name) -> Result<Json> {
    Container container = TRY(find_container(*store, name));
    Json item = inspect_container(*store, container);
    if (opts.size) item = with_inspect_sizes(item, container_size(*store, container));
    return item;
  };
  return inspect_each(opts.names, opts.format, inspect_one, container_template_view);
}

}  // namespace

void add_container_inspect_command(CLI::App& container, Context& ctx) {
  CLI::App* cmd = container.add_subcommand("inspect", "Show low-level information on containers");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Container names or IDs")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->add_flag("-s,--size", opts->size, "Display total file sizes");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
