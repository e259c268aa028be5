#include "engine/system.h"

#include "base/fs.h"
#include "linux/userns.h"

namespace skiff {

Status reset_store(const Store& store) {
  FileLock lock = TRY(store.lock());
  auto removed = run_in_user_namespace(current_id_mapping(), [&](SyncSocket&) -> Status {
    for (const auto& dir : {store.images_dir(), store.containers_dir(), store.layers_dir(),
                            store.volumes_dir(), store.root() + "/blobs"})
      TRY(remove_tree(dir));
    return {};
  });
  if (!removed.ok()) return std::move(removed).error().wrap("reset store `{}`", store.root());
  TRY(std::move(remove_tree(store.runroot())).wrap("reset store"));
  TRY(std::move(remove_tree(store.root())).wrap("reset store"));
  return {};
}

}  // namespace skiff
