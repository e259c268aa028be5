#include "image/image_config.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>

#include "base/sha256.h"

namespace skiff {

std::string Platform::string() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Platform host_platform() {
  struct utsname u;
  ::uname(&u);
  std::string machine = u.machine;
  Platform p;
  if (machine == "x86_64") p.architecture = "amd64";
  else if (machine == "aarch64") p.architecture = "arm64";
  else if (machine == "i386" || machine == "i686") p.architecture = "386";
  else if (machine.rfind("armv7", 0) == 0) p.architecture = "arm", p.variant = "v7";
  else if (machine.rfind("armv6", 0) == 0) p.architecture = "arm", p.variant = "v6";
  else if (machine == "ppc64le" || machine == "s390x" || machine == "riscv64" || machine == "mips64")
    p.architecture = machine;
  else p.architecture = machine;
  return p;
}

Result<Platform> parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto bad = [&] { return make_error("invalid platform `{}`: expected os/arch[/variant]", text); };
  for (auto& p : parts) {
    if (p.empty()) return bad();
    std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  Platform platform;
  if (parts.size() == 1) {
    platform.architecture = parts[0];
  } else if (parts.size() <= 3) {
    platform.os = parts[0];
    platform.architecture = parts[1];
    if (parts.size() == 3) platform.variant = parts[2];
  } else {
    return bad();
  }
  // Normalised as containerd does for docker's --platform.
  std::string& arch = platform.architecture;
  std::string& variant = platform.variant;
  if (arch == "x86_64" || arch == "x86-64") arch = "amd64";
  else if (arch == "i386" || arch == "i686") arch = "386";
  else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8") variant.clear();
  } else if (arch == "armhf") arch = "arm", variant = "v7";
  else if (arch == "armel") arch = "arm", variant = "v6";
  else if (arch == "arm") {
    if (variant.empty() || variant == "7") variant = "v7";
    else if (variant == "5" || variant == "6" || variant == "8") variant = "v" + variant;
  }
  if (platform.os != "linux")
    return make_error("invalid platform `{}`: skiff runs linux images only", text);
  return platform;
}

Json make_import_config(const std::string& diff_id, const Platform& platform, const std::string& comment,
                        const std::string& created) {
  Json config = {{"created", created}, {"architecture", platform.architecture}, {"os", platform.os},
                 {"comment", comment}};
  if (!platform.variant.empty()) config["variant"] = platform.variant;
  config["config"] = Json::object();
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array({diff_id})}};
  config["history"] = Json::array({{{"created", created}, {"comment", comment}}});
  return config;
}

Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size()) word += text[++i];
      else word += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return make_error("unterminated quote in `{}`", text);
  if (in_word) words.push_back(std::move(word));
  return words;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Go's path.Clean for an absolute path: "/a/b/../c/./d//" -> "/a/c/d".
std::string clean_absolute_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (auto p : parts) out += "/" + std::string(p);
  return out.empty() ? "/" : out;
}

// CMD ["a","b"] (exec form) or CMD a b (shell form: /bin/sh -c "a b").
Result<Json> command_form(std::string_view args) {
  if (!args.empty() && args.front() == '[') {
    auto parsed = parse_json(args, "JSON form");
    if (parsed.ok() && parsed->is_array() &&
        std::all_of(parsed->begin(), parsed->end(), [](const Json& v) { return v.is_string(); }))
      return *parsed;
    // docker treats a malformed JSON array as shell form, and so do we.
  }
  return Json::array({"/bin/sh", "-c", std::string(args)});
}

// KEY=VALUE pairs (ENV, LABEL); ENV's legacy "KEY VALUE" form too.
Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view args, bool legacy_allowed,
                                                                    std::string_view what) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = TRY(split_words(args));
  if (words.empty()) return make_error("{} needs at least one argument", what);
  if (words[0].find('=') == std::string::npos) {
    if (!legacy_allowed || words.size() < 2) return make_error("{} needs KEY=VALUE", what);
    auto space = args.find_first_of(" \t");
    out.emplace_back(words[0], std::string(trim(args.substr(space))));
    return out;
  }
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) return make_error("{}: `{}` is not KEY=VALUE", what, w);
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

}  // namespace

Status apply_change(Json& image, std::string_view change) {
  change = trim(change);
  auto space = change.find_first_of(" \t");
  std::string instruction(change.substr(0, space));
  std::transform(instruction.begin(), instruction.end(), instruction.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  std::string_view args = space == std::string_view::npos ? "" : trim(change.substr(space));
  Json& config = image["config"];
  if (!config.is_object()) config = Json::object();
  auto fail = [&](const Error& e) { return e.wrap("--change `{}`", change); };

  if (instruction == "CMD" || instruction == "ENTRYPOINT") {
    auto value = command_form(args);
    if (!value.ok()) return fail(value.error());
    config[instruction == "CMD" ? "Cmd" : "Entrypoint"] = *value;
  } else if (instruction == "ENV" || instruction == "LABEL") {
    bool env = instruction == "ENV";
    auto pairs = key_values(args, env, instruction);
    if (!pairs.ok()) return fail(pairs.error());
    if (env) {
      Json& list = config["Env"];
      if (!list.is_array()) list = Json::array();
      for (const auto& [k, v] : *pairs) {
        std::string entry = k + "=" + v;
        auto same = std::find_if(list.begin(), list.end(), [&](const Json& e) {
          return e.is_string() && e.get<std::string>().rfind(k + "=", 0) == 0;
        });
        if (same != list.end()) *same = entry;
        else list.push_back(entry);
      }
    } else {
      Json& labels = config["Labels"];
      if (!labels.is_object()) labels = Json::object();
      for (const auto& [k, v] : *pairs) labels[k] = v;
    }
  } else if (instruction == "WORKDIR") {
    if (args.empty()) return fail(make_error("WORKDIR needs a path"));
    std::string dir(args);
    if (dir[0] != '/') dir = config.value("WorkingDir", "") + "/" + dir;
    config["WorkingDir"] = clean_absolute_path(dir);
  } else if (instruction == "USER") {
    if (args.empty()) return fail(make_error("USER needs a user name or ID"));
    config["User"] = std::string(args);
  } else if (instruction == "EXPOSE") {
    auto ports = split_words(args);
    if (!ports.ok()) return fail(ports.error());
    if (ports->empty()) return fail(make_error("EXPOSE needs at least one port"));
    Json& exposed = config["ExposedPorts"];
    if (!exposed.is_object()) exposed = Json::object();
    for (auto port : *ports) {
      std::string proto = "tcp";
      if (auto slash = port.find('/'); slash != std::string::npos) {
        proto = port.substr(slash + 1);
        port = port.substr(0, slash);
      }
      bool numeric = !port.empty() && std::all_of(port.begin(), port.end(), ::isdigit) && port.size() <= 5 &&
                     std::stoul(port) >= 1 && std::stoul(port) <= 65535;
      if (!numeric || (proto != "tcp" && proto != "udp" && proto != "sctp"))
        return fail(make_error("invalid port `{}`", port + "/" + proto));
      exposed[port + "/" + proto] = Json::object();
    }
  } else if (instruction == "VOLUME") {
    Json paths;
    if (!args.empty() && args.front() == '[') {
      auto parsed = parse_json(args, "VOLUME");
      if (!parsed.ok() || !parsed->is_array()) return fail(make_error("VOLUME: malformed JSON array"));
      paths = *parsed;
    } else {
      auto words = split_words(args);
      if (!words.ok()) return fail(words.error());
      paths = *words;
    }
    if (paths.empty()) return fail(make_error("VOLUME needs at least one path"));
    Json& volumes = config["Volumes"];
    if (!volumes.is_object()) volumes = Json::object();
    for (const auto& p : paths) {
      if (!p.is_string() || p.get<std::string>().empty()) return fail(make_error("VOLUME: empty path"));
      volumes[p.get<std::string>()] = Json::object();
    }
  } else if (instruction == "STOPSIGNAL") {
    if (args.empty()) return fail(make_error("STOPSIGNAL needs a signal"));
    config["StopSignal"] = std::string(args);
  } else if (instruction == "ONBUILD") {
    if (args.empty()) return fail(make_error("ONBUILD needs an instruction"));
    Json& onbuild = config["OnBuild"];
    if (!onbuild.is_array()) onbuild = Json::array();
    onbuild.push_back(std::string(args));
  } else {
    return fail(make_error(
        "{} can't be applied to an image (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, "
        "STOPSIGNAL, USER, VOLUME or WORKDIR)",
        instruction.empty() ? "an empty instruction" : instruction));
  }
  return {};
}

}  // namespace skiff

namespace skiff {

Json docker_config_view(const Json& c) {
  auto get = [&](const char* key, Json fallback) { return c.contains(key) ? c[key] : fallback; };
  Json out = {{"Hostname", ""},     {"Domainname", ""},      {"User", get("User", "")},
              {"AttachStdin", false}, {"AttachStdout", false}, {"AttachStderr", false}};
  if (c.contains("ExposedPorts")) out["ExposedPorts"] = c["ExposedPorts"];
  out["Tty"] = false;
  out["OpenStdin"] = false;
  out["StdinOnce"] = false;
  out["Env"] = get("Env", nullptr);
  out["Cmd"] = get("Cmd", nullptr);
  if (c.contains("Healthcheck")) out["Healthcheck"] = c["Healthcheck"];
  if (c.contains("ArgsEscaped")) out["ArgsEscaped"] = c["ArgsEscaped"];
  out["Image"] = "";
  out["Volumes"] = get("Volumes", nullptr);
  out["WorkingDir"] = get("WorkingDir", "");
  out["Entrypoint"] = get("Entrypoint", nullptr);
  out["OnBuild"] = get("OnBuild", nullptr);
  out["Labels"] = get("Labels", nullptr);
  for (const char* key : {"StopSignal", "StopTimeout", "Shell"})
    if (c.contains(key)) out[key] = c[key];
  return out;
}

Result<std::vector<std::string>> diff_ids_of(const Json& config, size_t layers) {
  if (!config.is_object() || !config.contains("rootfs") || !config["rootfs"].is_object() ||
      !config["rootfs"].contains("diff_ids") || !config["rootfs"]["diff_ids"].is_array())
    return make_error("the image config has no rootfs.diff_ids");
  std::vector<std::string> out;
  for (const auto& d : config["rootfs"]["diff_ids"]) {
    if (!d.is_string() || !is_sha256_digest(d.get<std::string>()))
      return make_error("the image config has a malformed diff ID");
    out.push_back(d.get<std::string>());
  }
  if (out.size() != layers)
    return make_error("the image has {} layer(s) but its config lists {} diff ID(s)", layers, out.size());
  return out;
}

}  // namespace skiff
