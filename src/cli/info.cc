// skiff info / skiff system info
//
// Default output is podman-info-like indented `key: value` text (a YAML
// subset); `--format json` the JSON; any other --format a Go template run on
// the JSON.
#include <string>

#include "base/units.h"
#include "cli/command.h"
#include "engine/info.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

// Byte counts, shown with a readable size beside them.
bool is_byte_count(std::string_view key) {
  return key == "memTotal" || key == "memFree" || key == "swapTotal" || key == "swapFree" || key == "bytes" ||
         key == "bytesAvailable";
}

std::string scalar_text(std::string_view key, const Json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return s.empty() ? "\"\"" : s;
  }
  if (value.is_null()) return "null";
  if (is_byte_count(key) && value.is_number_unsigned())
    return fmt::format("{} ({})", value.get<uint64_t>(), human_size(double(value.get<uint64_t>())));
  return value.dump();
}

bool is_scalar(const Json& value) { return !value.is_object() && !value.is_array(); }

void render(const Json& object, int indent, std::string& out);

// `key:` then the value: on the same line when scalar, below it otherwise.
void render_entry(std::string_view key, const Json& value, int indent, std::string& out) {
  std::string pad(indent, ' ');
  if (is_scalar(value)) {
    out += fmt::format("{}{}: {}\n", pad, key, scalar_text(key, value));
  } else if (value.empty()) {
    out += fmt::format("{}{}: {}\n", pad, key, value.is_array() ? "[]" : "{}");
  } else if (value.is_object()) {
    out += fmt::format("{}{}:\n", pad, key);
    render(value, indent + 2, out);
  } else {
    out += fmt::format("{}{}:\n", pad, key);
    for (const auto& item : value) {
      if (is_scalar(item)) {
        out += fmt::format("{}- {}\n", pad, scalar_text("", item));
        continue;
      }
      // "- first: 1\n  second: 2", as YAML lays out a list of maps.
      std::string body;
      if (item.is_object()) render(item, indent + 2, body);
      if (body.size() > size_t(indent + 2)) out += pad + "- " + body.substr(indent + 2);
      else out += fmt::format("{}- {}\n", pad, item.dump());
    }
  }
}

void render(const Json& object, int indent, std::string& out) {
  for (const auto& [key, value] : object.items()) {
    // A probe that works has no error and a fine setup no warning: say nothing.
    if ((key == "error" || key == "warning") && value.is_string() && value.get_ref<const std::string&>().empty())
      continue;
    render_entry(key, value, indent, out);
  }
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output with a Go template, or json");
  cmd->callback([format, &ctx] {
    ctx.action = [format, &ctx]() -> Result<int> {
      // A store that can't be opened is one more fact to report: info is
      // what a user runs to find out why skiff doesn't work.
      auto store = ctx.store();
      Json info = store.ok() ? gather_info(**store)
                             : gather_info_without_store(ctx.root.empty() ? Store::default_root() : ctx.root,
                                                         ctx.runroot.empty() ? Store::default_runroot() : ctx.runroot,
                                                         store.error());
      if (*format == "json") {
        print_out(to_pretty_json(info) + "\n");
      } else if (!format->empty()) {
        print_out(TRY(format_each(*format, {info})));
      } else {
        std::string out;
        render(info, 0, out);
        print_out(out);
      }
      return 0;
    };
  });
}

}  // namespace

void add_info_command(CLI::App& app, CLI::App& system, Context& ctx) {
  define(app.add_subcommand("info", "Show what this host offers skiff"), ctx);
  define(system.add_subcommand("info", "Show what this host offers skiff"), ctx);
}

}  // namespace skiff::cli
