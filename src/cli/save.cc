// skiff save [-o FILE] [--format docker-archive|oci-archive] IMAGE...
#include <unistd.h>

#include "base/output.h"
#include "cli/command.h"
#include "engine/image_archive.h"

namespace skiff::cli {

namespace {

struct SaveArgs {
  std::vector<std::string> images;
  std::string output;
  std::string format = "docker-archive";
};

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto args = std::make_shared<SaveArgs>();
  cmd->add_option("image", args->images, "Images to save: names, IDs, or a repository for all its tags")
      ->required();
  cmd->add_option("-o,--output", args->output, "Write to this file instead of standard output");
  cmd->add_option("--format", args->format, "docker-archive (the default) or oci-archive");
  cmd->callback([args, &ctx] {
    ctx.action = [args, &ctx]() -> Result<int> {
      SaveOptions options{.images = args->images, .format = TRY(parse_archive_format(args->format))};
      if (args->output.empty() && is_terminal(STDOUT_FILENO))
        return make_error("refusing to write the archive to a terminal: use -o or redirect stdout");
      const Store* store = TRY(ctx.store());
      TRY(save_images_to(*store, options, args->output == "-" ? "" : args->output));
      return 0;
    };
  });
}

}  // namespace

void add_save_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("save", "Save images to a tar archive"), ctx);
  define(image.add_subcommand("save", "Save images to a tar archive"), ctx);
}

}  // namespace skiff::cli
