// skiff import FILE|-|URL [REFERENCE]
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

namespace {
void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<ImportOptions>();
  cmd->add_option("source", opts->source, "A rootfs tar (plain, gzip or zstd): a file, - for stdin, or a URL")
      ->required();
  cmd->add_option("reference", opts->reference, "Name for the image, e.g. busybox:latest");
  cmd->add_option("-c,--change", opts->changes, "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, ...)")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", opts->message, "Comment recorded in the image's history");
  cmd->add_option("--platform", opts->platform, "Platform recorded in the image, os/arch[/variant]");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      std::string id = TRY(import_image(*store, *opts));
      print_out(id + "\n");
      return 0;
    };
  });
}
}  // namespace

void add_import_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("import", "Import a root filesystem tarball as an image"), ctx);
  define(image.add_subcommand("import", "Import a root filesystem tarball as an image"), ctx);
}

}  // namespace skiff::cli
