#include "registry/auth_store.h"

#include <cerrno>
#include <cstdlib>

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/output.h"

namespace skiff {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, "" without either variable.
std::string config_home_auth_file() {
  std::string config = env("XDG_CONFIG_HOME");
  if (config.empty() && !env("HOME").empty()) config = env("HOME") + "/.config";
  return config.empty() ? "" : config + "/containers/auth.json";
}

std::string docker_config_file() {
  if (std::string dir = env("DOCKER_CONFIG"); !dir.empty()) return dir + "/config.json";
  return env("HOME").empty() ? "" : env("HOME") + "/.docker/config.json";
}

// A credentials file's JSON: nullopt when the file does not exist.
Result<std::optional<Json>> read_auth_document(const std::string& file) {
  auto text = read_file(file, 4 << 20);
  if (!text.ok()) {
    if (text.error().errnum() == ENOENT) return std::optional<Json>();
    return std::move(text).error().wrap("read credentials");
  }
  Json doc = TRY(parse_json(*text, fmt::format("credentials `{}`", file)));
  if (!doc.is_object()) return make_error("read credentials `{}`: not a JSON object", file);
  if (doc.contains("auths") && !doc["auths"].is_object())
    return make_error("read credentials `{}`: \"auths\" is not an object", file);
  return std::optional<Json>(std::move(doc));
}

// The credentials an entry holds: nullopt for one without "auth" (a
// credential helper's placeholder, or an identity token).
Result<std::optional<Credentials>> decode_entry(const Json& entry, const std::string& file,
                                                const std::string& key) {
  if (!entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string() ||
      entry["auth"].get<std::string>().empty())
    return std::optional<Credentials>();
  auto decoded = base64_decode(entry["auth"].get<std::string>());
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos)
    return make_error("read credentials `{}`: the entry for `{}` is not base64 of \"user:password\"", file,
                      key);
  return std::optional<Credentials>(Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)});
}

// The keys to look up, most specific first: "host/a/b", "host/a", "host".
std::vector<std::string> lookup_keys(std::string_view domain, std::string_view repo) {
  std::vector<std::string> keys;
  std::string key = std::string(domain) + (repo.empty() ? "" : "/" + std::string(repo));
  for (;;) {
    keys.push_back(key);
    if (key.size() <= domain.size()) break;
    key.resize(key.rfind('/'));
  }
  return keys;
}

// Why an entry for `key` that has no credentials exists: the credential
// helper holding them, or "" when nothing claims the key.
std::string helper_for(const Json& doc, const std::string& key) {
  if (doc.contains("credHelpers") && doc["credHelpers"].is_object())
    for (const auto& [k, v] : doc["credHelpers"].items())
      if (normalize_auth_key(k) == key && v.is_string()) return "docker-credential-" + v.get<std::string>();
  if (doc.contains("auths"))
    for (const auto& [k, v] : doc["auths"].items()) {
      if (normalize_auth_key(k) != key || !v.is_object()) continue;
      if (v.contains("identitytoken")) return "an identity token";
      if (doc.contains("credsStore") && doc["credsStore"].is_string())
        return "docker-credential-" + doc["credsStore"].get<std::string>();
    }
  return "";
}

}  // namespace

std::string normalize_auth_key(std::string_view key) {
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.remove_prefix(1);
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
  bool had_scheme = false;
  for (std::string_view scheme : {"https://", "http://"})
    if (key.starts_with(scheme)) {
      key.remove_prefix(scheme.size());
      had_scheme = true;
    }
  // A URL names a host ("https://index.docker.io/v1/"); a bare key may name
  // a repository path in it.
  if (had_scheme) key = key.substr(0, key.find('/'));
  while (key.ends_with('/')) key.remove_suffix(1);
  std::string_view host = key.substr(0, key.find('/'));
  std::string_view path = host.size() < key.size() ? key.substr(host.size()) : "";
  if (host.empty()) return "";
  if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
  return std::string(host) + std::string(path);
}

std::vector<std::string> credential_files() {
  std::vector<std::string> files;
  for (std::string file :
       {env("REGISTRY_AUTH_FILE"),
        env("XDG_RUNTIME_DIR").empty() ? "" : env("XDG_RUNTIME_DIR") + "/containers/auth.json",
        config_home_auth_file(), docker_config_file()})
    if (!file.empty()) files.push_back(file);
  return files;
}

std::string default_auth_file() {
  if (std::string file = env("REGISTRY_AUTH_FILE"); !file.empty()) return file;
  if (std::string dir = env("XDG_RUNTIME_DIR"); !dir.empty()) return dir + "/containers/auth.json";
  return config_home_auth_file();
}

Result<std::optional<StoredCredentials>> find_credentials(std::string_view domain, std::string_view repo,
                                                          const std::string& only_file) {
  std::vector<std::string> files =
      only_file.empty() ? credential_files() : std::vector<std::string>{only_file};
  std::string helper, helper_file;
  for (const std::string& file : files) {
    std::optional<Json> doc = TRY(read_auth_document(file));
    if (!doc) continue;
    for (const std::string& key : lookup_keys(domain, repo)) {
      if (doc->contains("auths"))
        for (const auto& [k, entry] : (*doc)["auths"].items()) {
          if (normalize_auth_key(k) != key) continue;
          if (auto found = TRY(decode_entry(entry, file, k)))
            return std::optional<StoredCredentials>(StoredCredentials{std::move(*found), file});
        }
      if (helper.empty()) {
        helper = helper_for(*doc, key);
        helper_file = file;
      }
    }
  }
  if (!helper.empty()) {
    static bool warned = false;
    if (!warned)
      warn(
          "`{}` keeps the credentials for `{}` in {}, which skiff does not use; `skiff login {}` stores them "
          "where skiff reads them",
          helper_file, domain, helper, domain);
    warned = true;
  }
  return std::optional<StoredCredentials>();
}

Status store_credentials(const std::string& file, std::string_view key, const Credentials& credentials) {
  Json doc = TRY(read_auth_document(file)).value_or(Json::object());
  Json& auths = doc["auths"];
  if (!auths.is_object()) auths = Json::object();
  // One entry a registry: other spellings of the key go.
  for (auto it = auths.begin(); it != auths.end();)
    it = it.key() != key && normalize_auth_key(it.key()) == key ? auths.erase(it) : std::next(it);
  Json& entry = auths[std::string(key)];
  if (!entry.is_object()) entry = Json::object();
  entry["auth"] = base64_encode(credentials.username + ":" + credentials.password);
  TRY(make_directories(parent_path(file), 0700));
  return std::move(write_file_atomically(file, doc.dump(1, '\t') + "\n", 0600)).wrap("store credentials");
}

Result<bool> remove_credentials(const std::string& file, std::string_view key) {
  std::optional<Json> doc = TRY(read_auth_document(file));
  if (!doc || !doc->contains("auths")) return false;
  Json& auths = (*doc)["auths"];
  bool removed = false;
  for (auto it = auths.begin(); it != auths.end();) {
    bool match = normalize_auth_key(it.key()) == key;
    removed |= match;
    it = match ? auths.erase(it) : std::next(it);
  }
  if (removed)
    TRY(std::move(write_file_atomically(file, doc->dump(1, '\t') + "\n", 0600)).wrap("remove credentials"));
  return removed;
}

Status remove_all_credentials(const std::string& file) {
  std::optional<Json> doc = TRY(read_auth_document(file));
  if (!doc || !doc->contains("auths") || (*doc)["auths"].empty()) return {};
  (*doc)["auths"] = Json::object();
  return std::move(write_file_atomically(file, doc->dump(1, '\t') + "\n", 0600)).wrap("remove credentials");
}

}  // namespace skiff
