#include "registry/registries_conf.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>

// toml++ in its header-only form: one translation unit parses TOML, and the
// binary maps no extra shared library at start-up.
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include "base/fs.h"

namespace skiff {

namespace {

// "example.com/foo" matches "example.com/foo" and "example.com/foo/bar",
// not "example.com/foobar"; "*.example.com" matches any subdomain's names.
bool prefix_matches(std::string_view prefix, std::string_view name) {
  if (prefix.starts_with("*.")) {
    std::string_view domain = name.substr(0, name.find('/'));
    std::string_view suffix = prefix.substr(1);  // ".example.com"
    return domain.size() > suffix.size() && domain.ends_with(suffix);
  }
  if (!name.starts_with(prefix)) return false;
  return name.size() == prefix.size() || name[prefix.size()] == '/' || name[prefix.size()] == ':' ||
         name[prefix.size()] == '@';
}

Result<bool> read_bool(const toml::table& table, const char* key, std::string_view where) {
  const toml::node* node = table.get(key);
  if (!node) return false;
  if (!node->is_boolean()) return make_error("{}: `{}` must be true or false", where, key);
  return node->as_boolean()->get();
}

Result<std::string> read_string(const toml::table& table, const char* key, std::string_view where) {
  const toml::node* node = table.get(key);
  if (!node) return std::string();
  if (!node->is_string()) return make_error("{}: `{}` must be a string", where, key);
  return node->as_string()->get();
}

Result<RegistryEntry> read_registry(const toml::table& table, std::string_view where) {
  RegistryEntry entry;
  entry.prefix = TRY(read_string(table, "prefix", where));
  entry.location = TRY(read_string(table, "location", where));
  if (entry.prefix.empty()) entry.prefix = entry.location;
  if (entry.prefix.empty()) return make_error("{}: a [[registry]] has neither prefix nor location", where);
  if (entry.prefix.starts_with("*.") && !entry.location.empty())
    return make_error("{}: the wildcard prefix `{}` may not have a location", where, entry.prefix);
  entry.insecure = TRY(read_bool(table, "insecure", where));
  entry.blocked = TRY(read_bool(table, "blocked", where));
  if (const toml::node* mirrors = table.get("mirror")) {
    if (!mirrors->is_array_of_tables())
      return make_error("{}: `mirror` must be a list of [[registry.mirror]]", where);
    for (const toml::node& m : *mirrors->as_array()) {
      const toml::table& t = *m.as_table();
      RegistryMirror mirror;
      mirror.location = TRY(read_string(t, "location", where));
      if (mirror.location.empty())
        return make_error("{}: a mirror of `{}` has no location", where, entry.prefix);
      mirror.insecure = TRY(read_bool(t, "insecure", where));
      std::string mode = TRY(read_string(t, "pull-from-mirror", where));
      if (!mode.empty()) mirror.pull_from_mirror = mode;
      if (mirror.pull_from_mirror != "all" && mirror.pull_from_mirror != "digest-only" &&
          mirror.pull_from_mirror != "tag-only")
        return make_error("{}: pull-from-mirror `{}`: use all, digest-only or tag-only", where, mode);
      entry.mirrors.push_back(std::move(mirror));
    }
  }
  return entry;
}

// The *.conf files of `dir`, sorted; none when it doesn't exist.
std::vector<std::string> drop_ins(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 5 && name.ends_with(".conf") && name[0] != '.') out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Status merge_file(const std::string& path, RegistriesConf& conf) {
  std::string text = TRY(read_file(path));
  return parse_registries_conf(text, path, conf);
}

}  // namespace

const RegistryEntry* RegistriesConf::find(std::string_view name) const {
  const RegistryEntry* best = nullptr;
  for (const auto& entry : registries) {
    if (!prefix_matches(entry.prefix, name)) continue;
    // The longest prefix wins; an exact prefix beats a wildcard.
    auto rank = [](const RegistryEntry& e) {
      return e.prefix.starts_with("*.") ? 0 : e.prefix.size() + 1000;
    };
    if (!best || rank(entry) > rank(*best)) best = &entry;
  }
  return best;
}

Status parse_registries_conf(std::string_view text, std::string_view origin, RegistriesConf& conf) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return make_error("{}:{}:{}: {}", origin, e.source().begin.line, e.source().begin.column,
                      e.description());
  }
  if (doc.contains("registries") && doc["registries"].is_table())
    return make_error(
        "{}: a version 1 file ([registries.search] ...): write it in version 2's form, see "
        "containers-registries.conf(5)",
        origin);
  if (const toml::node* search = doc.get("unqualified-search-registries")) {
    if (!search->is_array()) return make_error("{}: unqualified-search-registries must be a list", origin);
    conf.unqualified_search.clear();
    for (const toml::node& r : *search->as_array()) {
      if (!r.is_string()) return make_error("{}: unqualified-search-registries must list strings", origin);
      conf.unqualified_search.push_back(r.as_string()->get());
    }
  }
  if (const toml::node* list = doc.get("registry")) {
    if (!list->is_array_of_tables())
      return make_error("{}: `registry` must be a list of [[registry]]", origin);
    for (const toml::node& r : *list->as_array()) {
      RegistryEntry entry = TRY(read_registry(*r.as_table(), origin));
      auto same = std::find_if(conf.registries.begin(), conf.registries.end(),
                               [&](const RegistryEntry& e) { return e.prefix == entry.prefix; });
      if (same != conf.registries.end())
        *same = std::move(entry);
      else
        conf.registries.push_back(std::move(entry));
    }
  }
  return {};
}

Result<RegistriesConf> load_registries_conf() {
  RegistriesConf conf;
  if (const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF"); env && *env) {
    TRY(merge_file(env, conf));
    return conf;
  }
  std::string user_dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    user_dir = std::string(xdg) + "/containers";
  else if (const char* home = std::getenv("HOME"); home && *home)
    user_dir = std::string(home) + "/.config/containers";
  // The user's file replaces the system's; drop-ins of both folders apply.
  std::string user_file = user_dir + "/registries.conf";
  if (!user_dir.empty() && path_exists(user_file))
    TRY(merge_file(user_file, conf));
  else if (path_exists("/etc/containers/registries.conf"))
    TRY(merge_file("/etc/containers/registries.conf", conf));
  for (const auto& file : drop_ins("/etc/containers/registries.conf.d")) TRY(merge_file(file, conf));
  if (!user_dir.empty())
    for (const auto& file : drop_ins(user_dir + "/registries.conf.d")) TRY(merge_file(file, conf));
  return conf;
}

Result<std::vector<PullSource>> pull_sources(const RegistriesConf& conf, const ImageReference& ref) {
  std::string name = ref.name();
  const RegistryEntry* entry = conf.find(name);
  if (!entry) return std::vector<PullSource>{{ref.domain, ref.path, false}};
  if (entry->blocked) return make_error("the registry `{}` is blocked in registries.conf", entry->prefix);
  // The part after the prefix carries over to the mirror or location.
  std::string rest = entry->prefix.starts_with("*.") ? "" : name.substr(entry->prefix.size());
  auto split = [](const std::string& full, bool insecure) {
    size_t slash = full.find('/');
    return PullSource{full.substr(0, slash), slash == std::string::npos ? "" : full.substr(slash + 1),
                      insecure};
  };
  std::vector<PullSource> out;
  bool by_digest = !ref.digest.empty();
  for (const auto& mirror : entry->mirrors) {
    if ((mirror.pull_from_mirror == "digest-only" && !by_digest) ||
        (mirror.pull_from_mirror == "tag-only" && by_digest))
      continue;
    out.push_back(split(mirror.location + rest, mirror.insecure));
  }
  if (entry->location.empty() || entry->prefix.starts_with("*."))
    out.push_back({ref.domain, ref.path, entry->insecure});
  else
    out.push_back(split(entry->location + rest, entry->insecure));
  for (auto& source : out) {
    while (source.path.starts_with("/")) source.path.erase(0, 1);
    if (source.path.empty())
      return make_error("registries.conf maps `{}` to a location without a repository", name);
  }
  return out;
}

bool is_short_name(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return true;
  std::string_view first = text.substr(0, slash);
  return first.find_first_of(".:") == std::string_view::npos && first != "localhost";
}

std::vector<ImageReference> short_name_candidates(const RegistriesConf& conf, const ImageReference& ref) {
  if (conf.unqualified_search.empty()) return {ref};
  // The path as the user wrote it: docker's "library/" belongs to docker.io.
  std::string path = ref.path;
  if (path.starts_with("library/")) path.erase(0, 8);
  std::vector<ImageReference> out;
  for (const auto& registry : conf.unqualified_search) {
    ImageReference candidate = ref;
    candidate.domain = registry == "index.docker.io" ? "docker.io" : registry;
    candidate.path = candidate.domain == "docker.io" ? ref.path : path;
    out.push_back(std::move(candidate));
  }
  return out;
}

}  // namespace skiff
