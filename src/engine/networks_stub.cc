// TEMPORARY: find_network until the netcmd branch's networks.cc lands.
#include <dirent.h>

#include "base/fs.h"
#include "engine/networks.h"

namespace skiff {

Result<NetworkRecord> find_network(const Store& store, std::string_view name_or_id) {
  std::string dir = store.root() + "/networks";
  DIR* d = ::opendir(dir.c_str());
  if (d) {
    while (dirent* e = ::readdir(d)) {
      std::string f = e->d_name;
      if (f.size() < 6 || f.substr(f.size() - 5) != ".json") continue;
      auto text = read_file(dir + "/" + f);
      if (!text.ok()) continue;
      Json j = Json::parse(*text, nullptr, false);
      if (!j.is_object()) continue;
      if (j.value("Name", "") != name_or_id && j.value("Id", "") != name_or_id) continue;
      ::closedir(d);
      NetworkRecord r;
      r.id = j["Id"];
      r.name = j["Name"];
      r.subnet = j["IPAM"]["Config"][0]["Subnet"];
      r.gateway = j["IPAM"]["Config"][0]["Gateway"];
      r.internal = j.value("Internal", false);
      r.record = j;
      return r;
    }
    ::closedir(d);
  }
  return make_error("network {} not found", name_or_id);
}

}  // namespace skiff
