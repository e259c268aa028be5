// libcurl, loaded with dlopen the first time a command needs HTTP. Linked
// normally, libcurl pulls about thirty libraries (TLS, Kerberos, LDAP, IDN)
// into every skiff process, which would cost each `skiff run` milliseconds
// for nothing. Only the functions skiff calls are looked up.
#pragma once

#include <curl/curl.h>

#include "base/error.h"

namespace skiff {

struct CurlLibrary {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_version) version;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

/// Loads libcurl.so.4 once (and runs curl_global_init); an Error says how to
/// install it when it is missing.
Result<const CurlLibrary*> curl_library();

}  // namespace skiff
