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
#include "net/network_mode.h"

namespace skiff {

namespace {

// The network's name as inspect shows it ("slirp" for slirp:mtu=1500 or
// bridge); a record skiff can't parse shows as recorded.
std::string network_name_of(const std::string& recorded) {
  auto mode = parse_network_mode(recorded);
  return mode.ok() ? mode->network_name() : recorded;
}


constexpr std::string_view kFilterKeys[] = {"ancestor", "before",  "exited", "health", "id",    "label",
                                            "name",     "network", "since",  "status", "volume"};
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

std::optional<double> seconds_of(const std::string& text) {
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

// name=: docker tries an exact match, then the value as a regular expression
// (Go's RE2; here POSIX extended, which agrees on the usual ^, $, ., [], *).
bool name_matches(const ContainerFilter& f, const std::string& name) {
  if (f.value == name || f.value == "/" + name) return true;
  if (!f.name_pattern) return false;  // as docker: an invalid expression matches nothing
  return ::regexec(f.name_pattern.get(), ("/" + name).c_str(), 0, nullptr, 0) == 0 ||
         ::regexec(f.name_pattern.get(), name.c_str(), 0, nullptr, 0) == 0;
}

// A name= value as a POSIX extended expression; null when it isn't one.
std::shared_ptr<const regex_t> compile_name_pattern(const std::string& pattern) {
  auto re = std::make_unique<regex_t>();
  if (::regcomp(re.get(), pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return nullptr;
  return std::shared_ptr<const regex_t>(re.release(), [](const regex_t* r) {
    ::regfree(const_cast<regex_t*>(r));
    delete r;
  });
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
std::string health_status(const ContainerSummary& c) { return c.health.empty() ? "none" : c.health; }

// " (healthy)", " (unhealthy)", " (health: starting)" after "Up 5 minutes",
// as docker's ps; "" without a health check.
std::string health_suffix(const ContainerSummary& c) {
  std::string status = health_status(c);
  if (status == "none") return "";
  return status == "starting" ? " (health: starting)" : " (" + status + ")";
}

bool one_matches(const ContainerFilter& f, const ContainerSummary& c) {
  const std::string& key = f.key;
  if (key == "id") return !f.value.empty() && c.id.starts_with(f.value);
  if (key == "name") return name_matches(f, c.name);
  if (key == "status") return c.status == f.value;
  if (key == "health") return health_status(c) == f.value;
  if (key == "exited") return c.status == "exited" && parse_exit_code(f.value) == c.exit_code;
  if (key == "ancestor") return (!f.image_id.empty() && c.image_id == f.image_id) || c.image == f.value;
  if (key == "network") return network_name_of(c.network) == f.value || c.network == f.value;
  if (key == "volume")
    return std::any_of(c.mounts.begin(), c.mounts.end(), [&](const ContainerSummary::Mount& m) {
      return m.source == f.value || m.destination == f.value || m.name == f.value;
    });
  if (key == "label") {
    size_t eq = f.value.find('=');
    std::string_view name = std::string_view(f.value).substr(0, eq);
    auto it = std::find_if(c.labels.begin(), c.labels.end(), [&](const auto& l) { return l.first == name; });
    if (it == c.labels.end()) return false;
    return eq == std::string::npos || it->second == std::string_view(f.value).substr(eq + 1);
  }
  auto created = instant(c.created);
  if (key == "before") return created < instant(f.created);
  if (key == "since") return created > instant(f.created);
  return false;
}

// container_size of the container in `dir`, with the image sizes remembered across containers.
ContainerSize measure(const Store& store, const std::string& dir, const std::string& image_id,
                      const std::string& storage_driver, std::map<std::string, uint64_t>& image_sizes) {
  ContainerSize size;
  auto it = image_sizes.find(image_id);
  if (it == image_sizes.end()) {
    auto image = load_image(store, image_id);
    it = image_sizes.emplace(image_id, image.ok() ? image->size : 0).first;
  }
  if (storage_driver == "vfs") {
    // A whole copy: what it holds beyond the image's size (an estimate:
    // nothing records which files the container changed).
    uint64_t copy = tree_disk_usage(dir + "/rootfs");
    size.rw = copy > it->second ? copy - it->second : 0;
    size.root_fs = std::max(copy, it->second);
    return size;
  }
  // What the container wrote, without the upper folder's own block (docker
  // counts the files under it, so an untouched container is 0B).
  std::string upper = dir + "/upper";
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
    if (f.key == "name") f.name_pattern = compile_name_pattern(f.value);
    out.push_back(std::move(f));
  }
  return out;
}

bool container_matches(const std::vector<ContainerFilter>& filters, const ContainerSummary& container) {
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
  // The byte offsets where runes 1 and max_width - 1 start, and whether
  // there are more than max_width runes.
  size_t runes = 0, second = text.size(), cut = text.size();
  for (size_t i = 0; i < text.size() && runes <= max_width;) {
    if (runes == 1) second = i;
    if (runes == max_width - 1) cut = i;
    uint32_t r;
    size_t length;
    decode_utf8(text, i, &r, &length);
    ++runes;
    i += length;
  }
  if (runes <= max_width) return std::string(text);
  if (max_width == 1) return std::string(text.substr(0, second));
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";  // "…"
}

std::string command_column(std::string_view command, bool no_trunc) {
  return go_quote(no_trunc ? std::string(command) : ellipsis(command, 20));
}

std::string container_status_text(const ContainerSummary& state, double now) {
  const std::string& status = state.status;
  auto ago = [&](const std::string& time) { return human_duration(now - seconds_of(time).value_or(now)); };
  int exit_code = state.exit_code;
  if (is_up(status)) {
    if (status == "paused" || state.paused) return "Up " + ago(state.started_at) + " (Paused)";
    if (status == "restarting")
      return fmt::format("Restarting ({}) {} ago", exit_code, ago(state.finished_at));
    return "Up " + ago(state.started_at) + health_suffix(state);
  }
  if (status == "removing") return "Removal In Progress";
  if (status == "dead" || state.dead) return "Dead";
  if (!seconds_of(state.started_at)) return "Created";
  if (!seconds_of(state.finished_at)) return "";
  return fmt::format("Exited ({}) {} ago", exit_code, ago(state.finished_at));
}

std::string container_size_text(uint64_t rw_bytes, uint64_t virtual_bytes) {
  std::string rw = human_size(double(rw_bytes));
  if (virtual_bytes == 0) return rw;
  return rw + " (virtual " + human_size(double(virtual_bytes)) + ")";
}

ContainerSize container_size(const Store& store, const Container& container) {
  std::map<std::string, uint64_t> image_sizes;
  return measure(store, container.dir, container.config.value("image_id", ""),
                 container.config.value("storage_driver", ""), image_sizes);
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

Result<std::vector<ContainerSummary>> select_listed_containers(const Store& store,
                                                               const ContainerListOptions& options) {
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
  std::vector<ContainerSummary> listed = list_container_summaries(store, [&](const ContainerSummary& c) {
    return (all || is_up(c.status)) && container_matches(filters, c);
  });
  if (limit > 0 && listed.size() > size_t(limit)) listed.resize(size_t(limit));
  return listed;
}

namespace {

// The index of field `name` in ContainerRows::kFields, found while compiling
// (a name that isn't there doesn't compile).
consteval size_t field_index(std::string_view name) {
  for (size_t i = 0; i < std::size(ContainerRows::kFields); ++i)
    if (ContainerRows::kFields[i] == name) return i;
  throw "no such field";
}

}  // namespace

ContainerRows::ContainerRows(const Store& store, const ContainerListOptions& options,
                             const std::function<bool(std::string_view)>& wanted)
    : store_(store), options_(options) {
  // The ID is always there: an empty row would be a map to templates, where
  // a mistyped field prints "<no value>" instead of failing as docker's does.
  for (std::string_view field : kFields) wanted_.push_back(!wanted || wanted(field) || field == "ID");
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  now_ = double(now.tv_sec) + now.tv_nsec / 1e9;
}

Json ContainerRows::row(const ContainerSummary& c) {
  bool no_trunc = options_.no_trunc;
  double created = 0;
  if (auto ts = parse_rfc3339(c.created)) created = double(ts->tv_sec);

  Json row = Json::object();
  row.get_ref<Json::object_t&>().reserve(std::size(kFields));
  auto add = [&](size_t field, auto make) {
    if (wanted_[field]) row.emplace(kFields[field], make());
  };
  add(field_index("Command"), [&] { return command_column(container_command(c.path, c.args), no_trunc); });
  add(field_index("CreatedAt"), [&] { return go_time_string(time_t(created)); });
  add(field_index("ID"), [&] { return no_trunc ? c.id : c.id.substr(0, 12); });
  add(field_index("Image"), [&] {
    // The image as typed, unless that name now means another image.
    std::string image = c.image;
    if (image != c.image_id) {
      auto known = image_now_.find(image);
      if (known == image_now_.end()) {
        auto found = find_image(store_, image);
        known = image_now_.emplace(image, found.ok() ? found->id : "").first;
      }
      if (known->second != c.image_id) image = c.image_id;
    }
    // Containers of one image tend to come together: the last column first.
    if (!last_image_ || image != last_image_->first || c.image_id != last_image_->second) {
      auto [column, made] = image_column_.try_emplace(image + "\n" + c.image_id);
      if (made) column->second = image_column(image, c.image_id, no_trunc);
      last_image_.emplace(image, c.image_id);
      last_image_column_ = column->second;
    }
    return last_image_column_;
  });
  add(field_index("Labels"), [&] {
    std::vector<std::string> pairs;
    for (const auto& [key, value] : c.labels) pairs.push_back(key + "=" + value);
    std::sort(pairs.begin(), pairs.end());
    std::string labels;
    for (const auto& p : pairs) labels += (labels.empty() ? "" : ",") + p;
    return labels;
  });
  add(field_index("LocalVolumes"), [&] {
    return std::to_string(std::count_if(c.mounts.begin(), c.mounts.end(),
                                        [](const ContainerSummary::Mount& m) { return m.type == "volume"; }));
  });
  add(field_index("Mounts"), [&] {
    std::string mounts;
    for (const auto& m : c.mounts) {
      if (&m != &c.mounts.front()) mounts += ',';
      const std::string& name = m.name.empty() ? m.source : m.name;
      mounts += no_trunc ? name : ellipsis(name, 15);
    }
    return mounts;
  });
  add(field_index("Names"), [&] { return c.name; });
  add(field_index("Networks"), [&] { return network_name_of(c.network); });
  add(field_index("Ports"), [&] { return c.status == "running" ? c.ports : std::string(); });
  add(field_index("RunningFor"), [&] { return human_duration(now_ - created) + " ago"; });
  add(field_index("Size"), [&] {
    if (!options_.size) return std::string("0B");
    ContainerSize s =
        measure(store_, store_.containers_dir() + "/" + c.id, c.image_id, c.storage_driver, image_sizes_);
    return container_size_text(s.rw, s.root_fs);
  });
  add(field_index("State"), [&] { return c.status; });
  add(field_index("Status"), [&] { return container_status_text(c, now_); });
  return row;
}

}  // namespace skiff
