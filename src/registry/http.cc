#include "registry/http.h"

#include "base/fs.h"
#include "registry/curl_library.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <memory>

namespace skiff {

namespace {

struct CurlFree {
  const CurlLibrary* lib;
  void operator()(CURL* c) const { lib->easy_cleanup(c); }
};

struct Exchange {
  const std::function<Status(std::span<const uint8_t>)>* on_body;
  uint64_t to_skip;  // bytes of a 200 answer that a resumed request already had
  HttpResponse response;
  Status status;
  bool range_checked = false;
};

// A resumed request: a 206 must start where we asked, a 200 restarts the
// body and its first bytes are dropped.
Status check_range(Exchange& x, uint64_t resume_from) {
  x.range_checked = true;
  if (x.response.status == 200) return {};
  x.to_skip = 0;
  std::string range = x.response.header("content-range");
  uint64_t start = 0;
  if (std::sscanf(range.c_str(), "bytes %" SCNu64 "-", &start) != 1 || start != resume_from)
    return make_error("the server answered a request for bytes {}- with `Content-Range: {}`", resume_from,
                      range);
  return {};
}

// One header line; a status line starts a new answer (after a redirect or
// a 100 Continue), whose headers replace the last one's.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    x->response.headers.clear();
    size_t space = line.find(' ');
    x->response.status =
        space == std::string_view::npos ? 0 : std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  x->response.headers[name] = std::string(value);
  return size * count;
}

size_t on_exchange_body(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  size_t n = size * count;
  if (x->response.status >= 200 && x->response.status < 300) {
    std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(data), n);
    Status s;
    if (!x->range_checked && x->to_skip > 0) s = check_range(*x, x->to_skip);
    if (s.ok() && x->to_skip > 0) {
      size_t skip = size_t(std::min<uint64_t>(x->to_skip, body.size()));
      body = body.subspan(skip);
      x->to_skip -= skip;
    }
    if (s.ok() && !body.empty()) s = (*x->on_body)(body);
    if (!s.ok()) {
      x->status = std::move(s);
      return 0;  // tells curl to abort
    }
  } else if (x->response.error_body.size() < (64 << 10)) {
    x->response.error_body.append(data, std::min(n, (64 << 10) - x->response.error_body.size()));
  }
  return n;
}

// libcurl's default CA bundle (read once), with a trailing newline.
const std::string& system_ca_bundle(const CurlLibrary* lib, CURL* c) {
  static const std::string bundle = [&] {
    char* path = nullptr;
    if (lib->easy_getinfo(c, CURLINFO_CAINFO, &path) != CURLE_OK || !path)
      path = const_cast<char*>("/etc/ssl/certs/ca-certificates.crt");
    auto read = read_file(path, 16 << 20);
    std::string text = read.ok() ? std::move(*read) : "";
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
  }();
  return bundle;
}

}  // namespace

Result<HttpResponse> http_request(const HttpRequest& request,
                                  const std::function<Status(std::span<const uint8_t>)>& on_body) {
  const std::string& url = request.url;
  const CurlLibrary* lib = TRY(std::move(curl_library()).wrap("{} {}", request.method, url));
  std::unique_ptr<CURL, CurlFree> curl(lib->easy_init(), CurlFree{lib});
  if (!curl) return make_error("{} {}: could not start libcurl", request.method, url);
  Exchange exchange{&on_body, request.resume_from, {}, {}};
  char error[CURL_ERROR_SIZE] = "";
  struct curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = lib->slist_append(headers, h.c_str());
  std::string range = fmt::format("Range: bytes={}-", request.resume_from);
  if (request.resume_from > 0) headers = lib->slist_append(headers, range.c_str());
  std::unique_ptr<curl_slist, decltype(lib->slist_free_all)> header_list(headers, lib->slist_free_all);
  CURL* c = curl.get();
  lib->easy_setopt(c, CURLOPT_URL, url.c_str());
  bool fetches = request.method == "GET" || request.method == "HEAD";
  if (request.method == "HEAD") lib->easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!fetches) {
    // POSTFIELDS sends the body (not copied) with a Content-Length, under
    // whichever method CUSTOMREQUEST names.
    lib->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    // Never null: libcurl would read the body from stdin.
    const char* body = request.body.empty() ? "" : reinterpret_cast<const char*>(request.body.data());
    lib->easy_setopt(c, CURLOPT_POSTFIELDS, body);
    lib->easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  lib->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // An upload's answer names its next step in Location (a 202, a 201), never
  // a redirect to follow with the body again.
  lib->easy_setopt(c, CURLOPT_FOLLOWLOCATION, fetches ? 1L : 0L);
  lib->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  // Off is libcurl's default; said here because registry credentials rely
  // on it: an Authorization header never follows a redirect to another host.
  lib->easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  lib->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  lib->easy_setopt(c, CURLOPT_USERAGENT, "skiff/" SKIFF_VERSION);
  lib->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  lib->easy_setopt(c, CURLOPT_HEADERDATA, &exchange);
  lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_exchange_body);
  lib->easy_setopt(c, CURLOPT_WRITEDATA, &exchange);
  lib->easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  lib->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  // Bodies come in pieces of this size: libcurl's 16 KiB default made a
  // pull of 95 MB cost 5,800 recvfrom and poll calls each.
  lib->easy_setopt(c, CURLOPT_BUFFERSIZE, 512L << 10);
  lib->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  lib->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  if (!request.verify_tls) {
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    lib->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  // A blob replaces libcurl's CA bundle: it carries that bundle too.
  std::string ca_bundle;
  struct curl_blob ca_blob {};
  if (request.verify_tls && !request.extra_ca_certificates.empty()) {
    ca_bundle = system_ca_bundle(lib, c) + request.extra_ca_certificates;
    ca_blob = {.data = ca_bundle.data(), .len = ca_bundle.size(), .flags = CURL_BLOB_NOCOPY};
    lib->easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca_blob);
  }
  struct curl_blob cert_blob {
  }, key_blob{};
  if (!request.client_certificate.empty()) {
    cert_blob = {.data = const_cast<char*>(request.client_certificate.data()),
                 .len = request.client_certificate.size(),
                 .flags = CURL_BLOB_NOCOPY};
    key_blob = {.data = const_cast<char*>(request.client_key.data()),
                .len = request.client_key.size(),
                .flags = CURL_BLOB_NOCOPY};
    lib->easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    lib->easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert_blob);
    lib->easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key_blob);
  }
  CURLcode rc = lib->easy_perform(c);
  if (!exchange.status.ok()) return std::move(exchange.status).error();
  if (rc != CURLE_OK)
    return make_error("{} {}: {}", request.method, url, *error ? error : lib->easy_strerror(rc));
  return std::move(exchange.response);
}

bool is_http_url(std::string_view text) {
  return text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
}

Status http_get_to_sink(const std::string& url, ByteSink& sink) {
  HttpRequest request;
  request.url = url;
  HttpResponse response =
      TRY(http_request(request, [&](std::span<const uint8_t> data) { return sink.write(data); }));
  if (response.status < 200 || response.status >= 300)
    return make_error("GET {}: HTTP status {}", url, response.status);
  return sink.finish();
}

}  // namespace skiff
