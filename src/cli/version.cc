// skiff version
#include <archive.h>
#include "registry/curl_library.h"
#include <openssl/opensslv.h>
#include <seccomp.h>
#include <slirp/libslirp-version.h>

#include "cli/command.h"
#include "image/image_config.h"
#include "template/go_template.h"
#include "version.h"

namespace skiff::cli {

namespace {
#ifdef __clang__
constexpr const char* kCompiler = "clang " __VERSION__;
#else
constexpr const char* kCompiler = "gcc " __VERSION__;
#endif

Json version_data() {
  const scmp_version* seccomp = seccomp_version();
  Json libraries = Json::object();
  libraries["libarchive"] = std::string(archive_version_string());
  auto curl = curl_library();
  libraries["libcurl"] = curl.ok() ? std::string((*curl)->version()) : "not installed";
  libraries["libseccomp"] = fmt::format("{}.{}.{}", seccomp->major, seccomp->minor, seccomp->micro);
  libraries["libslirp"] = std::string(SLIRP_VERSION_STRING);
  libraries["openssl"] = std::string(OPENSSL_VERSION_TEXT);
  Json data = Json::object();
  data["Version"] = SKIFF_VERSION;
  data["GitCommit"] = SKIFF_GIT_COMMIT;
  data["Compiler"] = kCompiler;
  data["OsArch"] = host_platform().string();
  data["Libraries"] = libraries;
  return data;
}
}  // namespace

void add_version_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("version", "Show the skiff version");
  if (!ctx.wants(cmd)) return;
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output with a Go template, or json");
  cmd->callback([format, &ctx] {
    ctx.action = [format]() -> Result<int> {
      Json data = version_data();
      if (*format == "json") {
        print_out(to_pretty_json(data) + "\n");
      } else if (!format->empty()) {
        print_out(TRY(format_each(*format, {data})));
      } else {
        print_out(fmt::format("Version:     {}\nGit commit:  {}\nCompiler:    {}\nOS/Arch:     {}\n",
                              data["Version"].get<std::string>(), data["GitCommit"].get<std::string>(),
                              data["Compiler"].get<std::string>(), data["OsArch"].get<std::string>()));
      }
      return 0;
    };
  });
}

}  // namespace skiff::cli
