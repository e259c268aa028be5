// skiff images / skiff image ls
#include "cli/command.h"
#include "engine/images.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  ImageListOptions list;
  bool digests = false, quiet = false;
  std::string format;
};

const char* kTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const char* kTableDigests = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("reference", opts->list.reference, "Show only images matching REPOSITORY[:TAG] (globs allowed)");
  cmd->add_flag("-a,--all", opts->list.all, "Show all images, the steps kept by builds too");
  cmd->add_flag("--digests", opts->digests, "Show digests");
  cmd->add_option("-f,--filter", opts->list.filters, "Filter: dangling=, reference=, label=, before=, since=")
      ->allow_extra_args(false);
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_flag("--no-trunc", opts->list.no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", opts->quiet, "Only show image IDs");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      std::vector<Json> rows = TRY(list_image_rows(*store, opts->list));
      if (opts->quiet) {
        for (const auto& row : rows) print_out(row["ID"].get<std::string>() + "\n");
        return 0;
      }
      Json header = {{"Repository", "REPOSITORY"}, {"Tag", "TAG"},          {"ID", "IMAGE ID"},
                     {"Digest", "DIGEST"},         {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
                     {"Size", "SIZE"},             {"VirtualSize", "VIRTUAL SIZE"}, {"SharedSize", "SHARED SIZE"},
                     {"UniqueSize", "UNIQUE SIZE"}, {"Containers", "CONTAINERS"}};
      print_out(TRY(format_rows(opts->format, opts->digests ? kTableDigests : kTable, header, rows)));
      return 0;
    };
  });
}

}  // namespace

void add_images_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("images", "List images"), ctx);
  define(image.add_subcommand("ls", "List images")->alias("list"), ctx);
}

}  // namespace skiff::cli
