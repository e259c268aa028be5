// skiff image inspect / skiff inspect (images; containers come with `run`)
#include "base/output.h"
#include "cli/command.h"
#include "engine/images.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
  std::string type;
};

Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  if (!opts.type.empty() && opts.type != "image" && opts.type != "container")
    return make_error("inspect: unknown --type `{}` (use image or container)", opts.type);
  std::vector<Json> items;
  std::vector<Error> missing;
  for (const auto& name : opts.names) {
    auto image = opts.type == "container" ? Result<ImageRecord>(Error(0, "")) : find_image(*store, name);
    if (!image.ok()) {
      missing.push_back(make_error("No such {}: {}", opts.type.empty() ? "object" : opts.type, name));
      continue;
    }
    items.push_back(TRY(inspect_image(*store, *image)));
  }
  if (opts.format.empty() || opts.format == "json") {
    print_out(to_pretty_json(Json(items)) + "\n");
  } else {
    for (auto& item : items) item = image_template_view(std::move(item));
    print_out(TRY(format_each(opts.format, items)));
  }
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

void define(CLI::App* cmd, Context& ctx, bool with_type) {
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, with_type ? "Images (containers come with skiff run)" : "Images")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  if (with_type) cmd->add_option("--type", opts->type, "Only inspect objects of this type: image or container");
  else opts->type = "image";
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace

void add_image_inspect_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("inspect", "Show low-level information on images"), ctx, true);
  define(image.add_subcommand("inspect", "Show low-level information on images"), ctx, false);
}

}  // namespace skiff::cli
