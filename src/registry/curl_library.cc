#include "registry/curl_library.h"

#include <dlfcn.h>

#include <mutex>

namespace skiff {

Result<const CurlLibrary*> curl_library() {
  static CurlLibrary lib;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      failure = fmt::format("load libcurl: {} (install the libcurl4 package)", why ? why : "not found");
      return;
    }
    auto find = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(handle, name));
      if (!slot && failure.empty()) failure = fmt::format("load libcurl: it lacks `{}`", name);
    };
    find(lib.global_init, "curl_global_init");
    find(lib.easy_init, "curl_easy_init");
    find(lib.easy_setopt, "curl_easy_setopt");
    find(lib.easy_perform, "curl_easy_perform");
    find(lib.easy_getinfo, "curl_easy_getinfo");
    find(lib.easy_cleanup, "curl_easy_cleanup");
    find(lib.easy_strerror, "curl_easy_strerror");
    find(lib.version, "curl_version");
    find(lib.slist_append, "curl_slist_append");
    find(lib.slist_free_all, "curl_slist_free_all");
    if (failure.empty()) lib.global_init(CURL_GLOBAL_DEFAULT);
  });
  if (!failure.empty()) return make_error("{}", failure);
  return &lib;
}

}  // namespace skiff
