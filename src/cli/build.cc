// skiff build / skiff image build / skiff builder build
#include "base/fs.h"
#include "build/builder.h"
#include "cli/command.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<BuildOptions>();
  cmd->add_option("context", opts->context, "The build context: a folder, a tar archive, or - (a tar or a Dockerfile on stdin)")->required();
  cmd->add_option("-f,--file", opts->dockerfile, "The Dockerfile (default: Dockerfile or Containerfile in the context; - for stdin)");
  cmd->add_option("-t,--tag", opts->tags, "Name the image NAME[:TAG]; may be given more than once")->allow_extra_args(false);
  cmd->add_option("--build-arg", opts->build_args, "Set a build arg: KEY=VALUE, or KEY to take it from the environment")
      ->allow_extra_args(false);
  cmd->add_option("--label", opts->labels, "Set a label on the image: KEY=VALUE")->allow_extra_args(false);
  cmd->add_option("--target", opts->target, "Build this stage and what it needs, not the last stage");
  cmd->add_option("--network", opts->network, "RUN's network: default (slirp), none or host");
  cmd->add_option("--platform", opts->platform, "Accepted when it is this host's platform");
  cmd->add_option("--iidfile", opts->iidfile, "Write the image ID to this file");
  cmd->add_flag("--no-cache", opts->no_cache, "Run every step; use no cached step");
  cmd->add_flag("--pull", opts->pull, "Pull the FROM images even when they are present");
  cmd->add_flag("-q,--quiet", opts->quiet, "Print only the image ID");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      BuildOptions options = *opts;
      options.storage_driver = ctx.storage_driver;
      std::string id = TRY(build_image(*store, options));
      if (!options.iidfile.empty())
        TRY(std::move(write_file_atomically(options.iidfile, id, 0644)).wrap("write --iidfile `{}`", options.iidfile));
      if (options.quiet) print_out(id + "\n");
      return 0;
    };
  });
}

}  // namespace

void add_build_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("build", "Build an image from a Dockerfile"), ctx);
  define(image.add_subcommand("build", "Build an image from a Dockerfile"), ctx);
}

}  // namespace skiff::cli
