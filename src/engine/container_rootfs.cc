#include "engine/container_rootfs.h"

#include "base/fs.h"

namespace skiff {

Result<RootfsSpec> container_rootfs(const Store& store, const Container& c) {
  RootfsSpec rootfs;
  rootfs.driver = TRY(parse_rootfs_driver(c.config.value("storage_driver", "native")));
  std::vector<std::string> layers = json_strings(c.config["layers"]);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    std::string diff = store.layer_dir(*it) + "/diff";
    if (!path_exists(diff))
      return make_error("layer `{}` of the container's image is missing from the store", *it);
    rootfs.lower_dirs.push_back(diff);
  }
  rootfs.upper_dir = c.dir + "/upper";
  rootfs.work_dir = c.dir + "/work";
  // vfs: a copy made on the first start (linux/vfs_root.h), kept like an upper folder.
  rootfs.merged_dir = c.dir + (rootfs.driver == RootfsDriver::kVfs ? "/rootfs" : "/merged");
  return rootfs;
}

}  // namespace skiff
