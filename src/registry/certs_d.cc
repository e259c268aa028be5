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

std::string registry_ca_certificates(std::string_view domain) {
  std::string pem;
  for (const std::string& folder : certs_d_folders(domain)) {
    DIR* dir = ::opendir(folder.c_str());
    if (!dir) continue;
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name.ends_with(".crt") && !name.starts_with(".")) names.emplace_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      auto text = read_file(folder + "/" + name, 1 << 20);
      if (!text.ok()) continue;
      pem += *text;
      if (!pem.empty() && pem.back() != '\n') pem += '\n';
    }
  }
  return pem;
}

}  // namespace skiff
