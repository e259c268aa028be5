#include "net/slirp_library.h"

#include <dlfcn.h>

#include <mutex>

namespace skiff {

Result<const SlirpLibrary*> slirp_library() {
  static SlirpLibrary lib;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = ::dlopen("libslirp.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      failure = fmt::format("load libslirp: {} (install the libslirp0 package, or use --network none)",
                            why ? why : "not found");
      return;
    }
    auto find = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(handle, name));
      if (!slot && failure.empty()) failure = fmt::format("load libslirp: it lacks `{}` (skiff needs 4.7 or later)", name);
    };
    find(lib.make, "slirp_new");
    find(lib.cleanup, "slirp_cleanup");
    find(lib.pollfds_fill, "slirp_pollfds_fill");
    find(lib.pollfds_poll, "slirp_pollfds_poll");
    find(lib.input, "slirp_input");
    find(lib.handle_timer, "slirp_handle_timer");
    find(lib.version_string, "slirp_version_string");
  });
  if (!failure.empty()) return make_error("{}", failure);
  return &lib;
}

}  // namespace skiff
