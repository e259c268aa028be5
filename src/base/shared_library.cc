#include "base/shared_library.h"

namespace skiff {

Result<void*> open_shared_library(const char* soname, std::string_view install_hint) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle) return handle;
  const char* why = ::dlerror();
  return make_error("load {}: {} ({})", soname, why ? why : "not found", install_hint);
}

}  // namespace skiff
