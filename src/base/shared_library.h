// Libraries skiff loads with dlopen only when a command needs them (libcurl
// for HTTP, libslirp for a container's network), so that every other skiff
// process starts without mapping and relocating them.
#pragma once

#include <dlfcn.h>

#include <mutex>
#include <string>
#include <string_view>

#include "base/error.h"

namespace skiff {

/// dlopen(`soname`, RTLD_NOW | RTLD_LOCAL); the error says why and `install_hint`.
Result<void*> open_shared_library(const char* soname, std::string_view install_hint);

/// Points `slot` at symbol `name` of `handle`; the error names it.
template <typename Function>
Status find_symbol(void* handle, Function*& slot, const char* name, std::string_view library) {
  slot = reinterpret_cast<Function*>(::dlsym(handle, name));
  if (!slot) return make_error("load {}: it lacks `{}`", library, name);
  return {};
}

/// A library's table of functions, filled by `load` once for the process's
/// life; every call returns the table, or why it couldn't be loaded.
template <typename Library>
Result<const Library*> load_once(Status (*load)(Library&)) {
  static Library lib;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [&] {
    Status loaded = load(lib);
    if (!loaded.ok()) failure = loaded.error().text();
  });
  if (!failure.empty()) return make_error("{}", failure);
  return &lib;
}

}  // namespace skiff
