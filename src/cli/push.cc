// skiff push [-q] [-a] [--format oci|v2s2] [--compression-format gzip|zstd]
//            [--compression-level N] [--force-compression] [--digestfile FILE]
//            [--tls-verify=false] IMAGE [DESTINATION]
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/output.h"
#include "cli/command.h"
#include "cli/layer_progress.h"
#include "engine/push.h"
#include "image/image_store.h"
#include "image/reference.h"

namespace skiff::cli {

namespace {

// docker's push output: "The push refers to repository [...]", a row per
// layer ("Preparing", "Pushing [==> ] ...", "Pushed", "Layer already
// exists", "Mounted from ..."), then "<tag>: digest: <digest> size: <n>".
// On a terminal the rows are redrawn in place; elsewhere each layer's
// outcome is one line as it comes.
class PushDisplay : public PushObserver {
 public:
  PushDisplay(int fd, bool terminal) : fd_(fd), terminal_(terminal), rows_(fd) {}

  void layers(const std::string& repository, const std::vector<std::string>& diff_ids,
              const std::vector<uint64_t>& sizes) override {
    std::string header = fmt::format("The push refers to repository [{}]\n", repository);
    ids_.clear();
    for (const auto& d : diff_ids) ids_.push_back(d.substr(d.find(':') + 1, 12));
    if (!terminal_) return write_all_to(fd_, header);
    rows_.print(header);
    // docker lists the top layer first.
    for (size_t i = diff_ids.size(); i-- > 0;) rows_.add_row(diff_ids[i], sizes[i], "Preparing");
  }
  void pushing(size_t index, uint64_t bytes) override {
    if (terminal_) rows_.set_bytes(row(index), "Pushing", bytes);
  }
  void retrying(size_t index, const Error& why, int attempt) override {
    (void)why;  // the final error, if any, says why
    std::string state = fmt::format("Retrying (attempt {} of 5)", attempt);
    if (terminal_) rows_.set_state(row(index), state);
  }
  void done(size_t index, Outcome how, const std::string& from) override {
    std::string state = how == Outcome::kPushed   ? "Pushed"
                        : how == Outcome::kExists ? "Layer already exists"
                                                  : "Mounted from " + from;
    if (terminal_) return rows_.set_state(row(index), state);
    write_all_to(fd_, ids_.at(index) + ": " + state + "\n");
  }
  void finished(const PushResult& result) override {
    std::string text =
        fmt::format("{}: digest: {} size: {}\n", result.tag, result.digest, result.manifest_size);
    if (terminal_) return rows_.finish(text);
    write_all_to(fd_, text);
  }

 private:
  size_t row(size_t index) const { return ids_.size() - 1 - index; }
  int fd_;
  bool terminal_;
  LayerProgress rows_;
  std::vector<std::string> ids_;
};

struct PushArgs {
  std::string image;
  std::string destination;
  bool quiet = false;
  bool all_tags = false;
  std::string format;
  std::string compression;
  int level = -1;
  bool force_compression = false;
  bool verify_tls = true;
  bool content_trust_disabled = true;
  std::string digestfile;
  std::string auth_file;
};

// The names -a pushes: every tag of the repository IMAGE names.
Result<std::vector<std::string>> all_tags_of(const Store& store, const std::string& repository) {
  auto ref = TRY(std::move(ImageReference::parse(repository)).wrap("invalid reference `{}`", repository));
  if (!ref.tag.empty() || !ref.digest.empty())
    return make_error("--all-tags takes a repository without a tag or digest, not `{}`", repository);
  std::vector<std::string> names;
  for (const auto& image : TRY(list_images(store)))
    for (const auto& n : image.names)
      if (auto r = ImageReference::parse(n); r.ok() && r->name() == ref.name()) names.push_back(n);
  std::sort(names.begin(), names.end());
  if (names.empty()) return make_error("no tag of `{}` is in the store", ref.name());
  return names;
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto args = std::make_shared<PushArgs>();
  cmd->add_option("image", args->image, "The image: a name, or an ID with a DESTINATION")->required();
  cmd->add_option("destination", args->destination,
                  "Where to push it, REGISTRY/REPOSITORY[:TAG] (default: the image's name)");
  cmd->add_flag("-q,--quiet", args->quiet, "Print only the pushed name");
  cmd->add_flag("-a,--all-tags", args->all_tags, "Push every tag of the repository");
  cmd->add_option(
      "--format", args->format,
      "The manifest format: oci, or v2s2 for docker's (default: the format it was pulled in, else oci)");
  cmd->add_option("--compression-format", args->compression,
                  "Compress layers with gzip (the default) or zstd");
  cmd->add_option("--compression-level", args->level,
                  "The compression level: gzip 0-3 (ISA-L's, default 3), zstd 1-19 (default 3)");
  cmd->add_flag("--force-compression", args->force_compression,
                "Compress every layer again, even when the registry has a blob of it");
  cmd->add_option("--authfile", args->auth_file,
                  "The credentials file (default: $REGISTRY_AUTH_FILE, podman's, then docker's)");
  cmd->add_option("--digestfile", args->digestfile, "Write the pushed manifest's digest to this file");
  cmd->add_flag("--tls-verify", args->verify_tls,
                "Verify the registry's TLS certificate (--tls-verify=false also allows plain HTTP)");
  cmd->add_flag("--disable-content-trust", args->content_trust_disabled,
                "Accepted for docker's scripts; skiff does not sign images");
  cmd->callback([args, &ctx] {
    ctx.action = [args, &ctx]() -> Result<int> {
      PushOptions options{
          .image = args->image, .destination = args->destination, .verify_tls = args->verify_tls};
      if (!args->format.empty()) options.format = TRY(parse_manifest_format(args->format));
      if (!args->compression.empty()) {
        if (args->compression == "gzip")
          options.compression = Compression::kGzip;
        else if (args->compression == "zstd")
          options.compression = Compression::kZstd;
        else
          return make_error("unknown --compression-format `{}`: it is gzip or zstd", args->compression);
      }
      options.compression_level = args->level;
      options.force_compression = args->force_compression;
      options.auth_file = args->auth_file;
      const Store* store = TRY(ctx.store());
      std::vector<std::string> images{args->image};
      if (args->all_tags) {
        if (!args->destination.empty())
          return make_error("--all-tags pushes each tag to its own name: give no DESTINATION");
        images = TRY(all_tags_of(*store, args->image));
      }
      for (const auto& image : images) {
        options.image = image;
        std::unique_ptr<PushDisplay> display;
        if (!args->quiet) display = std::make_unique<PushDisplay>(STDOUT_FILENO, is_terminal(STDOUT_FILENO));
        options.observer = display.get();
        PushResult pushed = TRY(push_image(*store, options));
        if (args->quiet) print_out(pushed.name + "\n");
        if (!args->digestfile.empty())
          TRY(std::move(write_file_atomically(args->digestfile, pushed.digest, 0644))
                  .wrap("write `{}`", args->digestfile));
      }
      return 0;
    };
  });
}

}  // namespace

void add_push_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("push", "Upload an image to a registry"), ctx);
  define(image.add_subcommand("push", "Upload an image to a registry"), ctx);
}

}  // namespace skiff::cli
