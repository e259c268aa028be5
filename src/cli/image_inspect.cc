// skiff inspect (containers, then images, then volumes, as docker looks) / skiff image inspect
#include "base/output.h"
#include "cli/command.h"
#include "engine/container_list.h"
#include "engine/containers.h"
#include "engine/images.h"
#include "engine/volumes.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
  std::string type;  ///< "" for any: a container first, then an image, then a volume
  bool size = false;
};

// A lookup error that means "not there" rather than "can't tell" (an
// ambiguous prefix, an unreadable record).
bool is_not_found(const Error& e) { return e.message().starts_with("No such "); }

Result<int> inspect(Context& ctx, const Options& opts) {
  if (!opts.type.empty() && opts.type != "image" && opts.type != "container" && opts.type != "volume")
    return make_error("inspect: unknown --type `{}` (use image, container or volume)", opts.type);
  const Store* store = TRY(ctx.store());
  std::vector<Json> items;
  std::vector<bool> is_container;
  std::vector<Error> missing;
  for (const auto& name : opts.names) {
    // A volume only when asked for, or when nothing else has the name.
    auto try_volume = [&]() -> bool {
      if (!opts.type.empty() && opts.type != "volume") return false;
      auto volume = load_volume(*store, name);
      if (!volume.ok()) return false;
      items.push_back(inspect_volume(*volume));
      is_container.push_back(false);
      return true;
    };
    if (opts.type == "volume") {
      if (!try_volume()) missing.push_back(make_error("No such volume: {}", name));
      continue;
    }
    if (opts.type != "image") {
      auto container = find_container(*store, name);
      if (container.ok()) {
        Json item = inspect_container(*store, *container);
        if (opts.size) item = with_inspect_sizes(item, container_size(*store, *container));
        items.push_back(std::move(item));
        is_container.push_back(true);
        continue;
      }
      if (!is_not_found(container.error())) {
        missing.push_back(container.error());
        continue;
      }
    }
    auto image = opts.type == "container" ? Result<ImageRecord>(Error(0, "No such container"))
                                          : find_image(*store, name);
    if (!image.ok()) {
      if (is_not_found(image.error()) && try_volume()) continue;
      if (is_not_found(image.error()))
        missing.push_back(make_error("No such {}: {}", opts.type.empty() ? "object" : opts.type, name));
      else
        missing.push_back(image.error());
      continue;
    }
    items.push_back(TRY(inspect_image(*store, *image)));
    is_container.push_back(false);
  }
  if (opts.format.empty() || opts.format == "json") {
    print_out(to_pretty_json(Json(items)) + "\n");
  } else {
    for (size_t i = 0; i < items.size(); ++i)
      if (is_container[i])
        items[i] = container_template_view(std::move(items[i]));
      else if (items[i].contains("Id"))  // volumes are shown as they are
        items[i] = image_template_view(std::move(items[i]));
    print_out(TRY(format_each(opts.format, items)));
  }
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

void define(CLI::App* cmd, Context& ctx, bool top_level) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, top_level ? "Container or image names or IDs" : "Image names or IDs")
      ->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  if (top_level) {
    cmd->add_flag("-s,--size", opts->size, "Display total file sizes if the type is container");
    cmd->add_option("--type", opts->type, "Only inspect objects of this type: container, image or volume");
  } else {
    opts->type = "image";
  }
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace

void add_image_inspect_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("inspect", "Show low-level information on containers, images and volumes"), ctx,
         true);
  define(image.add_subcommand("inspect", "Show low-level information on images"), ctx, false);
}

}  // namespace skiff::cli
