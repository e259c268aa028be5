// HTTP through libcurl (dlopen'ed: registry/curl_library.h): one request at
// a time, the body streamed to a sink as it arrives.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/stream.h"

namespace skiff {

/// GETs `url` (http or https only, redirects followed) and pushes the body
/// into `sink`, then finish()es it. A non-2xx answer is an error naming the
/// status; so is a transfer cut short.
Status http_get_to_sink(const std::string& url, ByteSink& sink);

/// True for "http://..." and "https://...".
bool is_http_url(std::string_view text);

struct HttpRequest {
  std::string method = "GET";  ///< GET, HEAD, POST, PUT, PATCH or DELETE
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  bool verify_tls = true;
  /// Asks for the body from this byte on (`Range: bytes=N-`). A server that
  /// ignores the range and sends it all is fine: the first N bytes of a 200
  /// answer are dropped, so on_body sees the same bytes either way.
  uint64_t resume_from = 0;
  /// CA certificates (PEM) trusted besides the system's: a registry's certs.d.
  std::string extra_ca_certificates;
  /// A client certificate and its key (PEM), shown when the server asks.
  std::string client_certificate, client_key;
  /// The body of a POST, PUT or PATCH, sent with its Content-Length (it
  /// must outlive the request). Redirects are followed for GET and HEAD only.
  std::span<const uint8_t> body{};
};

struct HttpResponse {
  long status = 0;
  /// The final answer's headers (after redirects), names lowercased; a
  /// repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  /// Up to 64 KiB of a non-2xx answer's body, for its error message.
  std::string error_body;

  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? "" : it->second;
  }
};

/// Performs `request`, following redirects (to http and https only; an
/// Authorization header is dropped when a redirect leads to another host,
/// port or scheme).
/// The body of a 2xx answer goes to `on_body` as it arrives (an error from
/// it aborts the transfer and is returned); others are kept in error_body.
/// Transport failures (refused, TLS, cut short) are Errors; any HTTP status
/// is a response.
Result<HttpResponse> http_request(const HttpRequest& request,
                                  const std::function<Status(std::span<const uint8_t>)>& on_body);

}  // namespace skiff
