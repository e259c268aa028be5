// skiff history / skiff image history IMAGE
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

namespace {

struct Options {
  std::string image;
  HistoryOptions history;
  bool quiet = false;
  std::string format;
};

const char* kTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("image", opts->image, "The image")->required();
  cmd->add_option("--format", opts->format, "Format output: table, json, or a Go template");
  cmd->add_flag("-H,--human", opts->history.human,
                "Print sizes and dates in human readable format (default true; --human=false for bytes and RFC 3339)");
  cmd->add_flag("--no-trunc", opts->history.no_trunc, "Don't truncate output");
  cmd->add_flag("-q,--quiet", opts->quiet, "Only show image IDs");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      ImageRecord image = TRY(find_local_image(*store, opts->image));
      std::vector<Json> rows = TRY(image_history_rows(*store, image, opts->history));
      Json header = {{"ID", "IMAGE"},       {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
                     {"CreatedBy", "CREATED BY"}, {"Size", "SIZE"},     {"Comment", "COMMENT"}};
      TRY(print_rows(rows, opts->quiet, "ID", opts->format, kTable, header));
      return 0;
    };
  });
}

}  // namespace

void add_history_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("history", "Show the history of an image"), ctx);
  define(image.add_subcommand("history", "Show the history of an image"), ctx);
}

}  // namespace skiff::cli
