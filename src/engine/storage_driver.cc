#include "engine/storage_driver.h"

#include <cstdlib>

#include <unistd.h>

#include "base/fs.h"
#include "base/output.h"
#include "linux/probe.h"

namespace skiff {

namespace {

Status check_available(RootfsDriver driver) {
  if (driver == RootfsDriver::kNative) return {};
  if (driver == RootfsDriver::kFuseOverlayfs) {
    if (find_program("fuse-overlayfs").empty())
      return make_error("the fuse-overlayfs storage driver needs the fuse-overlayfs program (apt install fuse-overlayfs)");
    if (::access("/dev/fuse", R_OK | W_OK) != 0)
      return errno_error("the fuse-overlayfs storage driver needs /dev/fuse");
    return {};
  }
  return {};  // vfs: copies, needs nothing
}

}  // namespace

Result<RootfsDriver> choose_storage_driver(const Store& store, const std::string& requested) {
  std::string wanted = requested;
  if (wanted.empty()) {
    const char* env = std::getenv("SKIFF_STORAGE_DRIVER");
    if (env && *env) wanted = env;
  }
  if (!wanted.empty()) {
    RootfsDriver driver = TRY(parse_rootfs_driver(wanted));
    TRY(check_available(driver));
    return driver;
  }
  std::string record = store.root() + "/storage-driver";
  if (auto text = read_file(record, 64); text.ok()) {
    std::string name = *text;
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    if (auto driver = parse_rootfs_driver(name); driver.ok()) return *driver;
  }
  // First container in this store: try native overlay once.
  std::string scratch = store.root() + "/.tmp-probe-" + random_hex(8);
  TRY(make_directories(scratch, 0700));
  ProbeResult native = probe_native_overlay(scratch);
  (void)remove_tree(scratch);
  RootfsDriver chosen = RootfsDriver::kNative;
  if (!native.works) {
    Status fuse = check_available(RootfsDriver::kFuseOverlayfs);
    if (fuse.ok()) {
      warn("native overlayfs does not work here ({}): using fuse-overlayfs", native.error);
      chosen = RootfsDriver::kFuseOverlayfs;
    } else {
      warn("native overlayfs does not work here ({}), and {}: using the vfs driver, which copies the image "
           "for each container", native.error, fuse.error().text());
      chosen = RootfsDriver::kVfs;
    }
  }
  TRY(write_file_atomically(record, std::string(rootfs_driver_name(chosen)) + "\n", 0600));
  return chosen;
}

}  // namespace skiff
