#include "registry/http.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace skiff {

namespace {

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
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
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return make_error("GET {}: could not start libcurl", url);
  Transfer transfer{&sink, {}};
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "skiff/" SKIFF_VERSION);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // Give up on a stalled transfer: under 1 byte/s for 60 s.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  CURLcode rc = curl_easy_perform(curl.get());
  if (!transfer.status.ok()) return std::move(transfer.status).error();
  if (rc != CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_HTTP_RETURNED_ERROR) return make_error("GET {}: HTTP status {}", url, code);
    return make_error("GET {}: {}", url, *error ? error : curl_easy_strerror(rc));
  }
  return sink.finish();
}

}  // namespace skiff
