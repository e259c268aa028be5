// skiff container inspect (skiff inspect, in image_inspect.cc, looks for
// containers first too)
#include "base/output.h"
#include "cli/command.h"
#include "engine/container_list.h"
#include "engine/containers.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
  bool size = false;
};

Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  std::vector<Json> items;
  std::vector<Error> missing;
  for (const auto& name : opts.names) {
    auto container = find_container(*store, name);
    if (!container.ok()) {
      missing.push_back(container.error());
      continue;
    }
    Json item = inspect_container(*store, *container);
    if (opts.size) item = with_inspect_sizes(item, container_size(*store, *container));
    items.push_back(std::move(item));
  }
  if (opts.format.empty() || opts.format == "json") {
    print_out(to_pretty_json(Json(items)) + "\n");
  } else {
    for (auto& item : items) item = container_template_view(std::move(item));
    print_out(TRY(format_each(opts.format, items)));
  }
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

}  // namespace

void add_container_inspect_command(CLI::App& container, Context& ctx) {
  CLI::App* cmd = container.add_subcommand("inspect", "Show low-level information on containers");
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Container names or IDs")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->add_flag("-s,--size", opts->size, "Display total file sizes");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
