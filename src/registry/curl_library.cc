#include "registry/curl_library.h"

#include "base/shared_library.h"

namespace skiff {

namespace {

Status load(CurlLibrary& lib) {
  void* handle = TRY(open_shared_library("libcurl.so.4", "install the libcurl4 package"));
  const char* name = "libcurl";
  TRY(find_symbol(handle, lib.global_init, "curl_global_init", name));
  TRY(find_symbol(handle, lib.easy_init, "curl_easy_init", name));
  TRY(find_symbol(handle, lib.easy_setopt, "curl_easy_setopt", name));
  TRY(find_symbol(handle, lib.easy_perform, "curl_easy_perform", name));
  TRY(find_symbol(handle, lib.easy_getinfo, "curl_easy_getinfo", name));
  TRY(find_symbol(handle, lib.easy_cleanup, "curl_easy_cleanup", name));
  TRY(find_symbol(handle, lib.easy_strerror, "curl_easy_strerror", name));
  TRY(find_symbol(handle, lib.version, "curl_version", name));
  TRY(find_symbol(handle, lib.slist_append, "curl_slist_append", name));
  TRY(find_symbol(handle, lib.slist_free_all, "curl_slist_free_all", name));
  lib.global_init(CURL_GLOBAL_DEFAULT);
  return {};
}

}  // namespace

Result<const CurlLibrary*> curl_library() { return load_once(&load); }

}  // namespace skiff
