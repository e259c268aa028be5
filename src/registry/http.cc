#include "registry/http.h"

#include "registry/curl_library.h"

#include <memory>

namespace skiff {

namespace {

struct CurlFree {
  const CurlLibrary* lib;
  void operator()(CURL* c) const { lib->easy_cleanup(c); }
};

struct Transfer {
  ByteSink* sink;
  Status status;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Status s = t->sink->write({reinterpret_cast<const uint8_t*>(data), size * count});
  if (!s.ok()) {
    t->status = std::move(s);
    return 0;  // tells curl to abort
  }
  return size * count;
}

}  // namespace

bool is_http_url(std::string_view text) {
  return text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
}

Status http_get_to_sink(const std::string& url, ByteSink& sink) {
  const CurlLibrary* lib = TRY(std::move(curl_library()).wrap("GET {}", url));
  std::unique_ptr<CURL, CurlFree> curl(lib->easy_init(), CurlFree{lib});
  if (!curl) return make_error("GET {}: could not start libcurl", url);
  Transfer transfer{&sink, {}};
  char error[CURL_ERROR_SIZE] = "";
  lib->easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  lib->easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  lib->easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_USERAGENT, "skiff/" SKIFF_VERSION);
  lib->easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  lib->easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
  lib->easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  lib->easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // Give up on a stalled transfer: under 1 byte/s for 60 s.
  lib->easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  CURLcode rc = lib->easy_perform(curl.get());
  if (!transfer.status.ok()) return std::move(transfer.status).error();
  if (rc != CURLE_OK) {
    long code = 0;
    lib->easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_HTTP_RETURNED_ERROR) return make_error("GET {}: HTTP status {}", url, code);
    return make_error("GET {}: {}", url, *error ? error : lib->easy_strerror(rc));
  }
  return sink.finish();
}

}  // namespace skiff
