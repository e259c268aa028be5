// skiff commit / skiff container commit CONTAINER [REPOSITORY[:TAG]]
#include "cli/command.h"
#include "engine/image_commit.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<CommitOptions>();
  cmd->add_option("container", opts->container, "The container")->required();
  cmd->add_option("reference", opts->reference, "Name for the image, e.g. myimage:1.0");
  cmd->add_option("-a,--author", opts->author, "Author (e.g. \"Jane Doe <jane@example.com>\")");
  cmd->add_option("-c,--change", opts->changes, "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, ...)")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", opts->message, "Commit message, recorded in the image's history");
  cmd->add_flag("-p,--pause", opts->pause,
                "Pause a running container while committing, where its cgroup can be frozen (default true; --pause=false to never pause)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      std::string id = TRY(commit_container(*store, *opts));
      print_out(id + "\n");
      return 0;
    };
  });
}

}  // namespace

void add_commit_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("commit", "Create a new image from a container's changes"), ctx);
  define(container.add_subcommand("commit", "Create a new image from a container's changes"), ctx);
}

}  // namespace skiff::cli
