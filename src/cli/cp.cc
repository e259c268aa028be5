// skiff cp / skiff container cp: files between a container and the host.
#include <unistd.h>

#include "base/output.h"
#include "base/units.h"
#include "cli/command.h"
#include "engine/container_copy.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<CopyOptions>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("source", opts->source, "CONTAINER:SRC_PATH, a host path, or - (a tar on stdin)")
      ->required();
  cmd->add_option("destination", opts->destination,
                  "CONTAINER:DEST_PATH, a host path, or - (a tar on stdout)")
      ->required();
  cmd->add_flag("-a,--archive", opts->archive, "Keep the source's uid and gid (copying in)");
  cmd->add_flag("-L,--follow-link", opts->follow_link, "Follow a symbolic link given as the source");
  cmd->add_flag("-q,--quiet", *quiet, "Print nothing on success");
  cmd->callback([opts, quiet, &ctx] {
    ctx.action = [opts, quiet, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      CopyResult result = TRY(copy_files(*store, *opts));
      for (const auto& w : result.warnings) warn("{}", w);
      // docker's note, for a person watching: on a terminal only.
      if (!*quiet && result.destination != "-" && is_terminal(STDERR_FILENO))
        std::fprintf(stderr, "Successfully copied %s to %s\n", human_size(double(result.bytes)).c_str(),
                     result.destination.c_str());
      return 0;
    };
  });
}

}  // namespace

void add_cp_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("cp", "Copy files between a container and the host"), ctx);
  define(container.add_subcommand("cp", "Copy files between a container and the host"), ctx);
}

}  // namespace skiff::cli
