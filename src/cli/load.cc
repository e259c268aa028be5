// skiff load [-i FILE] [-q]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/output.h"
#include "base/unique_fd.h"
#include "cli/command.h"
#include "engine/image_archive.h"
#include "image/reference.h"

namespace skiff::cli {

namespace {

struct LoadArgs {
  std::string input;
  bool quiet = false;
};

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto args = std::make_shared<LoadArgs>();
  cmd->add_option("-i,--input", args->input, "Read from this file instead of standard input");
  cmd->add_flag("-q,--quiet", args->quiet, "Accepted for docker compatibility (skiff shows no progress)");
  cmd->callback([args, &ctx] {
    ctx.action = [args, &ctx]() -> Result<int> {
      UniqueFd file;
      int fd = STDIN_FILENO;
      std::string source = "standard input";
      if (!args->input.empty() && args->input != "-") {
        source = args->input;
        file.reset(::open(args->input.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return errno_error("load `{}`: open", args->input);
        fd = file.get();
      } else if (is_terminal(STDIN_FILENO)) {
        return make_error("refusing to read the archive from a terminal: use -i or redirect stdin");
      }
      const Store* store = TRY(ctx.store());
      std::vector<LoadedImage> loaded = TRY(load_images(*store, fd, source));
      auto familiar = [](const std::string& name) {
        auto ref = ImageReference::parse(name);
        return ref.ok() ? ref->familiar_string() : name;
      };
      // docker's lines, word for word: scripts read them.
      for (const auto& image : loaded) {
        for (const auto& [name, old_id] : image.taken)
          print_out("The image " + familiar(name) + " already exists, renaming the old one with ID " +
                    old_id + " to empty string\n");
        if (image.names.empty()) print_out("Loaded image ID: " + image.id + "\n");
        for (const auto& name : image.names) print_out("Loaded image: " + familiar(name) + "\n");
      }
      return 0;
    };
  });
}

}  // namespace

void add_load_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("load", "Load images from a tar archive"), ctx);
  define(image.add_subcommand("load", "Load images from a tar archive"), ctx);
}

}  // namespace skiff::cli
