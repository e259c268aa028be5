#include "registry/http.h"

#include "registry/curl_library.h"

#include <algorithm>
#include <cctype>
#include <memory>

namespace skiff {

namespace {

struct CurlFree {
  const CurlLibrary* lib;
  void operator()(CURL* c) const { lib->easy_cleanup(c); }
};

struct Exchange {
  const std::function<Status(std::span<const uint8_t>)>* on_body;
  HttpResponse response;
  Status status;
};

// One header line; a status line starts a new answer (after a redirect or
// a 100 Continue), whose headers replace the last one's.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    x->response.headers.clear();
    size_t space = line.find(' ');
    x->response.status = space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  x->response.headers[name] = std::string(value);
  return size * count;
}

size_t on_exchange_body(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  size_t n = size * count;
  if (x->response.status >= 200 && x->response.status < 300) {
    Status s = (*x->on_body)({reinterpret_cast<const uint8_t*>(data), n});
    if (!s.ok()) {
      x->status = std::move(s);
      return 0;  // tells curl to abort
    }
  } else if (x->response.error_body.size() < (64 << 10)) {
    x->response.error_body.append(data, std::min(n, (64 << 10) - x->response.error_body.size()));
  }
  return n;
}

}  // namespace

Result<HttpResponse> http_request(const HttpRequest& request,
                                  const std::function<Status(std::span<const uint8_t>)>& on_body) {
  const std::string& url = request.url;
  const CurlLibrary* lib = TRY(std::move(curl_library()).wrap("{} {}", request.method, url));
  std::unique_ptr<CURL, CurlFree> curl(lib->easy_init(), CurlFree{lib});
  if (!curl) return make_error("{} {}: could not start libcurl", request.method, url);
  Exchange exchange{&on_body, {}, {}};
  char error[CURL_ERROR_SIZE] = "";
  struct curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = lib->slist_append(headers, h.c_str());
  std::unique_ptr<curl_slist, decltype(lib->slist_free_all)> header_list(headers, lib->slist_free_all);
  CURL* c = curl.get();
  lib->easy_setopt(c, CURLOPT_URL, url.c_str());
  if (request.method == "HEAD") lib->easy_setopt(c, CURLOPT_NOBODY, 1L);
  lib->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  lib->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  lib->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  lib->easy_setopt(c, CURLOPT_USERAGENT, "skiff/" SKIFF_VERSION);
  lib->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  lib->easy_setopt(c, CURLOPT_HEADERDATA, &exchange);
  lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_exchange_body);
  lib->easy_setopt(c, CURLOPT_WRITEDATA, &exchange);
  lib->easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  lib->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  lib->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  if (!request.verify_tls) {
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode rc = lib->easy_perform(c);
  if (!exchange.status.ok()) return std::move(exchange.status).error();
  if (rc != CURLE_OK) return make_error("{} {}: {}", request.method, url, *error ? error : lib->easy_strerror(rc));
  return std::move(exchange.response);
}

bool is_http_url(std::string_view text) {
  return text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
}

Status http_get_to_sink(const std::string& url, ByteSink& sink) {
  HttpResponse response = TRY(http_request({.url = url, .headers = {}, .verify_tls = true},
                                           [&](std::span<const uint8_t> data) { return sink.write(data); }));
  if (response.status < 200 || response.status >= 300) return make_error("GET {}: HTTP status {}", url, response.status);
  return sink.finish();
}

}  // namespace skiff
