#include "registry/certs_d.h"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.h"

namespace skiff {

std::vector<std::string> certs_d_folders(std::string_view domain) {
  std::vector<std::string> folders;
  // A domain is a host[:port]: nothing in it may climb out of certs.d.
  if (domain.empty() || domain.find('/') != std::string_view::npos || domain == "." || domain == "..")
    return folders;
  std::string config;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    config = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    config = std::string(home) + "/.config";
  if (!config.empty()) folders.push_back(config + "/containers/certs.d/" + std::string(domain));
  folders.push_back("/etc/containers/certs.d/" + std::string(domain));
  folders.push_back("/etc/docker/certs.d/" + std::string(domain));
  return folders;
}

namespace {

// The names in `folder` that end in `suffix` (no hidden ones), sorted.
std::vector<std::string> names_ending(const std::string& folder, std::string_view suffix) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.ends_with(suffix) && !name.starts_with(".")) names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<std::optional<ClientCertificate>> registry_client_certificate(std::string_view domain) {
  for (const std::string& folder : certs_d_folders(domain)) {
    for (const std::string& name : names_ending(folder, ".cert")) {
      std::string cert_path = folder + "/" + name;
      std::string key_path = cert_path.substr(0, cert_path.size() - 5) + ".key";
      if (!path_exists(key_path))
        return make_error("the client certificate `{}` has no key `{}`", cert_path, key_path);
      ClientCertificate pair;
      pair.certificate = TRY(read_file(cert_path, 1 << 20));
      pair.key = TRY(read_file(key_path, 1 << 20));
      return std::optional(std::move(pair));
    }
  }
  return std::optional<ClientCertificate>();
}

std::string registry_ca_certificates(std::string_view domain) {
  std::string pem;
  for (const std::string& folder : certs_d_folders(domain)) {
    for (const std::string& name : names_ending(folder, ".crt")) {
      auto text = read_file(folder + "/" + name, 1 << 20);
      if (!text.ok()) continue;
      pem += *text;
      if (!pem.empty() && pem.back() != '\n') pem += '\n';
    }
  }
  return pem;
}

}  // namespace skiff
