// Each column follows docker's CLI formatter (cli/command/formatter/container.go)
// over what the daemon's list puts in a container summary (daemon/list.go):
// the command summary, State.String(), the image as the user typed it unless
// that name now means another image.
#include "engine/container_list.h"

#include <fmt/format.h>
#include <regex.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include "base/fs.h"
#include "base/units.h"
#include "image/image_store.h"
#include "image/reference.h"

namespace skiff {

namespace {

constexpr std::string_view kFilterKeys[] = {"ancestor", "before", "exited", "health", "id",    "label",
                                            "name",     "network", "since", "status", "volume"};
constexpr std::string_view kHealthStates[] = {"starting", "healthy", "unhealthy", "none"};
constexpr std::string_view kStates[] = {"created", "restarting", "running", "removing",
                                        "paused",  "exited",     "dead"};

template <size_t N>
std::string join_names(const std::string_view (&names)[N], std::string_view last_separator) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? last_separator : ", ";
    out += names[i];
  }
  return out;
}

// One UTF-8 sequence at text[i]: its code point and length, or false when
// the byte there starts no valid sequence (then its length is 1).
bool decode_utf8(std::string_view text, size_t i, uint32_t* rune, size_t* length) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  *length = 1;
  *rune = c;
  if (c < 0x80) return true;
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return false;
  uint32_t r = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return false;
    r = (r << 6) | (byte(i + k) & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return false;
  *rune = r;
  *length = n;
  return true;
}

// Go's strconv.Quote. (The template engine has its own, internal to
// src/template; this one is for the COMMAND column.)
std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    uint32_t r;
    size_t length;
    bool valid = decode_utf8(text, i, &r, &length);
    char buf[16];
    if (!valid) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
      out += buf;
    } else if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (r >= 0x20 && r < 0x7F) {
      out += static_cast<char>(r);
    } else if (r >= 0xA0 && r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF) {
      out.append(text.substr(i, length));  // printable outside ASCII: kept as is
    } else {
      static const std::pair<uint32_t, const char*> kEscapes[] = {{'\a', "\\a"}, {'\b', "\\b"}, {'\f', "\\f"},
                                                                  {'\n', "\\n"}, {'\r', "\\r"}, {'\t', "\\t"},
                                                                  {'\v', "\\v"}};
      const char* escape = nullptr;
      for (const auto& [c, e] : kEscapes)
        if (r == c) escape = e;
      if (!escape) {
        std::snprintf(buf, sizeof buf, r < 0x80 ? "\\x%02x" : "\\u%04x", r);
        escape = buf;
      }
      out += escape;
    }
    i += length;
  }
  return out + "\"";
}

std::optional<double> seconds_of(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  const std::string& text = j[key].get_ref<const std::string&>();
  if (text.starts_with("0001-01-01T")) return std::nullopt;  // Go's zero time: never
  auto ts = parse_rfc3339(text);
  if (!ts) return std::nullopt;
  return double(ts->tv_sec) + ts->tv_nsec / 1e9;
}

bool is_up(const std::string& status) {
  return status == "running" || status == "paused" || status == "restarting";
}

// docker's stringid.TruncateID: the hex after any "algorithm:", 12 long.
std::string truncate_id(const std::string& id) {
  std::string hex = digest_hex(id);
  return hex.substr(0, 12);
}

// The IMAGE column (formatter's Image()): `image` is what the user typed, or
// the image ID when that name now means another image.
std::string image_column(const std::string& image, const std::string& image_id, bool no_trunc) {
  if (image.empty()) return "<no image>";
  if (no_trunc) return image;
  if (truncate_id(image_id) == truncate_id(image)) return truncate_id(image_id);
  auto ref = ImageReference::parse(image);
  if (!ref.ok()) return image;
  ref->digest.clear();  // the digest is dropped, the tag kept
  return ref->familiar_string();
}

const Json& labels_of(const Container& c) {
  static const Json kNone = Json::object();
  if (c.config.contains("Config") && c.config["Config"].contains("Labels") &&
      c.config["Config"]["Labels"].is_object())
    return c.config["Config"]["Labels"];
  return kNone;
}

// name=: docker tries an exact match, then the value as a regular expression
// (Go's RE2; here POSIX extended, which agrees on the usual ^, $, ., [], *).
bool name_matches(const std::string& pattern, const std::string& name) {
  if (pattern == name || pattern == "/" + name) return true;
  regex_t re;
  if (::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;  // as docker: no match
  bool found = ::regexec(&re, ("/" + name).c_str(), 0, nullptr, 0) == 0 ||
               ::regexec(&re, name.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&re);
  return found;
}

// An RFC 3339 time as (seconds, nanoseconds), for ordering; unreadable is earliest.
std::pair<time_t, long> instant(const std::string& text) {
  auto ts = parse_rfc3339(text);
  return ts ? std::pair<time_t, long>(ts->tv_sec, ts->tv_nsec) : std::pair<time_t, long>(0, 0);
}

// An exit code as exited= gives it.
std::optional<int> parse_exit_code(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end;
  errno = 0;
  long code = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || code < INT32_MIN || code > INT32_MAX) return std::nullopt;
  return int(code);
}

// State.Health.Status, or docker's "none" for a container without checks.
std::string health_status(const Json& state) {
  if (!state.contains("Health") || !state["Health"].is_object()) return "none";
  std::string status = state["Health"].value("Status", "");
  return status.empty() ? "none" : status;
}

// " (healthy)", " (unhealthy)", " (health: starting)" after "Up 5 minutes",
// as docker's ps; "" without a health check.
std::string health_suffix(const Json& state) {
  std::string status = health_status(state);
  if (status == "none") return "";
  return status == "starting" ? " (health: starting)" : " (" + status + ")";
}

bool one_matches(const ContainerFilter& f, const Container& c) {
  const std::string& key = f.key;
  if (key == "id") return !f.value.empty() && c.id.starts_with(f.value);
  if (key == "name") return name_matches(f.value, c.name());
  if (key == "status") return c.status() == f.value;
  if (key == "health") return health_status(c.state) == f.value;
  if (key == "exited")
    return c.status() == "exited" && parse_exit_code(f.value) == c.state.value("ExitCode", 0);
  if (key == "ancestor")
    return (!f.image_id.empty() && c.config.value("image_id", "") == f.image_id) ||
           c.config.value("image", "") == f.value;
  if (key == "network")
    return c.config.contains("HostConfig") && c.config["HostConfig"].value("NetworkMode", "") == f.value;
  if (key == "volume") {
    if (!c.config.contains("Mounts") || !c.config["Mounts"].is_array()) return false;
    for (const auto& m : c.config["Mounts"])
      if (m.value("Source", "") == f.value || m.value("Destination", "") == f.value ||
          m.value("Name", "") == f.value)
        return true;
    return false;
  }
  if (key == "label") {
    const Json& labels = labels_of(c);
    size_t eq = f.value.find('=');
    std::string name = f.value.substr(0, eq);
    auto it = labels.find(name);
    if (it == labels.end()) return false;
    return eq == std::string::npos || (it->is_string() && it->get<std::string>() == f.value.substr(eq + 1));
  }
  auto created = instant(c.config.value("created", ""));
  if (key == "before") return created < instant(f.created);
  if (key == "since") return created > instant(f.created);
  return false;
}

// container_size with the image sizes remembered across containers.
ContainerSize measure(const Store& store, const Container& c, std::map<std::string, uint64_t>& image_sizes) {
  ContainerSize size;
  std::string image_id = c.config.value("image_id", "");
  auto it = image_sizes.find(image_id);
  if (it == image_sizes.end()) {
    auto image = load_image(store, image_id);
    it = image_sizes.emplace(image_id, image.ok() ? image->size : 0).first;
  }
  if (c.config.value("storage_driver", "") == "vfs") {
    // A whole copy: what it holds beyond the image's size (an estimate:
    // nothing records which files the container changed).
    uint64_t copy = tree_disk_usage(c.dir + "/rootfs");
    size.rw = copy > it->second ? copy - it->second : 0;
    size.root_fs = std::max(copy, it->second);
    return size;
  }
  // What the container wrote, without the upper folder's own block (docker
  // counts the files under it, so an untouched container is 0B).
  std::string upper = c.dir + "/upper";
  uint64_t total = tree_disk_usage(upper);
  struct stat st;
  uint64_t own = ::lstat(upper.c_str(), &st) == 0 ? uint64_t(st.st_blocks) * 512 : 0;
  size.rw = total > own ? total - own : 0;
  size.root_fs = size.rw + it->second;
  return size;
}

}  // namespace

Result<std::vector<ContainerFilter>> parse_container_filters(const std::vector<std::string>& specs) {
  std::vector<ContainerFilter> out;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("invalid filter `{}`: expected KEY=VALUE", spec);
    ContainerFilter f;
    f.key = spec.substr(0, eq);
    f.value = spec.substr(eq + 1);
    if (std::find(std::begin(kFilterKeys), std::end(kFilterKeys), f.key) == std::end(kFilterKeys))
      return make_error("invalid filter `{}`: the filters here are {}", f.key, join_names(kFilterKeys, ", "));
    if (f.key == "status" && std::find(std::begin(kStates), std::end(kStates), f.value) == std::end(kStates))
      return make_error("invalid filter `status={}`: the states are {}", f.value,
                        join_names(kStates, " and "));
    if (f.key == "health" &&
        std::find(std::begin(kHealthStates), std::end(kHealthStates), f.value) == std::end(kHealthStates))
      return make_error("invalid filter `health={}`: the health states are {}", f.value,
                        join_names(kHealthStates, " and "));
    if (f.key == "exited" && !parse_exit_code(f.value))
      return make_error("invalid filter `exited={}`: expected an exit code (an integer)", f.value);
    out.push_back(std::move(f));
  }
  return out;
}

bool container_matches(const std::vector<ContainerFilter>& filters, const Container& container) {
  std::map<std::string, bool> any_of;  // key -> some value matched (labels: all did)
  for (const auto& f : filters) {
    bool match = one_matches(f, container);
    auto [it, first] = any_of.try_emplace(f.key, match);
    if (first) continue;
    if (f.key == "label" || f.key == "before" || f.key == "since")
      it->second = it->second && match;
    else
      it->second = it->second || match;
  }
  return std::all_of(any_of.begin(), any_of.end(), [](const auto& kv) { return kv.second; });
}

bool filters_imply_all(const std::vector<ContainerFilter>& filters) {
  return std::any_of(filters.begin(), filters.end(),
                     [](const ContainerFilter& f) { return f.key == "status"; });
}

std::string container_command(const std::string& path, const std::vector<std::string>& args) {
  std::string out = path;
  for (const auto& a : args) out += " " + (a.find(' ') != std::string::npos ? "'" + a + "'" : a);
  return out;
}

std::string ellipsis(std::string_view text, size_t max_width) {
  // Each rune counts one column here; docker counts East Asian wide runes
  // as two, which only matters for commands written in those scripts.
  if (max_width == 0) return "";
  std::vector<size_t> starts;  // byte offset of each rune
  for (size_t i = 0; i < text.size();) {
    uint32_t r;
    size_t length;
    decode_utf8(text, i, &r, &length);
    starts.push_back(i);
    i += length;
  }
  if (starts.size() <= max_width) return std::string(text);
  if (max_width == 1) return std::string(text.substr(0, starts.size() > 1 ? starts[1] : text.size()));
  return std::string(text.substr(0, starts[max_width - 1])) + "\xE2\x80\xA6";  // "…"
}

std::string command_column(std::string_view command, bool no_trunc) {
  return go_quote(no_trunc ? std::string(command) : ellipsis(command, 20));
}

std::string container_status_text(const Json& state, double now) {
  std::string status = state.value("Status", "created");
  auto ago = [&](const char* key) {
    auto t = seconds_of(state, key);
    return human_duration(now - t.value_or(now));
  };
  int exit_code = state.value("ExitCode", 0);
  if (is_up(status)) {
    if (status == "paused" || state.value("Paused", false)) return "Up " + ago("StartedAt") + " (Paused)";
    if (status == "restarting") return fmt::format("Restarting ({}) {} ago", exit_code, ago("FinishedAt"));
    return "Up " + ago("StartedAt") + health_suffix(state);
  }
  if (status == "removing") return "Removal In Progress";
  if (status == "dead" || state.value("Dead", false)) return "Dead";
  if (!seconds_of(state, "StartedAt")) return "Created";
  if (!seconds_of(state, "FinishedAt")) return "";
  return fmt::format("Exited ({}) {} ago", exit_code, ago("FinishedAt"));
}

std::string container_size_text(uint64_t rw_bytes, uint64_t virtual_bytes) {
  std::string rw = human_size(double(rw_bytes));
  if (virtual_bytes == 0) return rw;
  return rw + " (virtual " + human_size(double(virtual_bytes)) + ")";
}

ContainerSize container_size(const Store& store, const Container& container) {
  std::map<std::string, uint64_t> image_sizes;
  return measure(store, container, image_sizes);
}

Json container_template_view(Json inspect) {
  Json& config = inspect["Config"];
  if (config.is_object()) {
    if (!config.contains("ExposedPorts")) config["ExposedPorts"] = Json::object();
    for (const char* key : {"Healthcheck", "StopTimeout", "Shell"})
      if (!config.contains(key)) config[key] = nullptr;
    if (!config.contains("ArgsEscaped")) config["ArgsEscaped"] = false;
    if (!config.contains("NetworkDisabled")) config["NetworkDisabled"] = false;
    if (!config.contains("MacAddress")) config["MacAddress"] = "";
    if (!config.contains("StopSignal")) config["StopSignal"] = "";
  }
  // docker's State.Health is a pointer: nil (null) without a health check.
  Json& state = inspect["State"];
  if (state.is_object() && !state.contains("Health")) state["Health"] = nullptr;
  return inspect;
}

Json with_inspect_sizes(const Json& inspect, const ContainerSize& size) {
  Json out = Json::object();
  for (auto it = inspect.begin(); it != inspect.end(); ++it) {
    if (it.key() == "SizeRw" || it.key() == "SizeRootFs") continue;
    out[it.key()] = it.value();
    if (it.key() == "GraphDriver") {
      out["SizeRw"] = size.rw;
      out["SizeRootFs"] = size.root_fs;
    }
  }
  if (!out.contains("SizeRw")) {
    out["SizeRw"] = size.rw;
    out["SizeRootFs"] = size.root_fs;
  }
  return out;
}

Result<std::vector<Json>> list_container_rows(const Store& store, const ContainerListOptions& options) {
  std::vector<ContainerFilter> filters = TRY(parse_container_filters(options.filters));
  for (auto& f : filters) {
    if (f.key == "ancestor") {
      // An image that does not exist matches no container by ID (docker
      // ignores it); the name as typed at create may still match.
      if (auto image = find_image(store, f.value); image.ok()) f.image_id = image->id;
    } else if (f.key == "before" || f.key == "since") {
      Container anchor = TRY(std::move(find_container(store, f.value)).wrap("filter {}", f.key));
      f.created = anchor.config.value("created", "");
    }
  }
  int limit = options.latest ? 1 : options.last;
  bool all = options.all || limit > 0 || filters_imply_all(filters);

  struct timespec now_ts;
  ::clock_gettime(CLOCK_REALTIME, &now_ts);
  double now = double(now_ts.tv_sec) + now_ts.tv_nsec / 1e9;
  std::map<std::string, std::string> image_now;  // name as typed -> the ID it means now ("" for none)
  std::map<std::string, uint64_t> image_sizes;
  std::vector<Json> rows;
  for (const Container& c :
       list_containers(store, options.size ? RecordDetail::kFull : RecordDetail::kListing)) {
    if (!all && !is_up(c.status())) continue;
    if (!container_matches(filters, c)) continue;
    if (limit > 0 && rows.size() >= size_t(limit)) break;

    const Json& config = c.config;
    std::string image_id = config.value("image_id", "");
    std::string image = config.value("image", "");
    if (image != image_id) {
      auto known = image_now.find(image);
      if (known == image_now.end()) {
        auto found = find_image(store, image);
        known = image_now.emplace(image, found.ok() ? found->id : "").first;
      }
      if (known->second != image_id) image = image_id;
    }

    std::string labels;
    std::vector<std::string> label_list;
    for (auto it = labels_of(c).begin(); it != labels_of(c).end(); ++it)
      label_list.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
    std::sort(label_list.begin(), label_list.end());
    for (const auto& l : label_list) labels += (labels.empty() ? "" : ",") + l;

    std::string mounts;
    int local_volumes = 0;
    if (config.contains("Mounts") && config["Mounts"].is_array()) {
      bool first = true;
      for (const auto& m : config["Mounts"]) {
        if (m.value("Type", "") == "volume") ++local_volumes;
        std::string name = m.value("Name", "");
        if (name.empty()) name = m.value("Source", "");
        mounts += (first ? "" : ",") + (options.no_trunc ? name : ellipsis(name, 15));
        first = false;
      }
    }

    double created = 0;
    if (auto ts = parse_rfc3339(config.value("created", ""))) created = double(ts->tv_sec);
    std::string size = "0B";
    if (options.size) {
      ContainerSize s = measure(store, c, image_sizes);
      size = container_size_text(s.rw, s.root_fs);
    }
    std::string network = config.contains("HostConfig") ? config["HostConfig"].value("NetworkMode", "") : "";

    // Keys in alphabetical order, as docker's --format json prints them.
    rows.push_back(Json{
        {"Command", command_column(container_command(config.value("Path", ""),
                                                     json_strings(config.value("Args", Json()))),
                                   options.no_trunc)},
        {"CreatedAt", go_time_string(time_t(created))},
        {"ID", options.no_trunc ? c.id : c.id.substr(0, 12)},
        {"Image", image_column(image, image_id, options.no_trunc)},
        {"Labels", labels},
        {"LocalVolumes", std::to_string(local_volumes)},
        {"Mounts", mounts},
        {"Names", c.name()},
        {"Networks", network},
        {"Ports", ""},
        {"RunningFor", human_duration(now - created) + " ago"},
        {"Size", size},
        {"State", c.status()},
        {"Status", container_status_text(c.state, now)},
    });
  }
  return rows;
}

}  // namespace skiff
