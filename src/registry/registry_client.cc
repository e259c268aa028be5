#include "registry/registry_client.h"

#include <arpa/inet.h>

#include <thread>

#include "base/base64.h"
#include "base/json.h"
#include "base/sha256.h"
#include "image/manifest.h"
#include "registry/certs_d.h"
#include "registry/http.h"

namespace skiff {

bool is_transient_status(long status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

bool is_loopback_registry(std::string_view domain) {
  std::string_view host = domain;
  if (host.starts_with("[")) return host.starts_with("[::1]");
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  // 127.0.0.0/8 as a dotted quad: "127.example.com" is a name, not a loopback address.
  struct in_addr address;
  return ::inet_pton(AF_INET, std::string(host).c_str(), &address) == 1 &&
         (ntohl(address.s_addr) >> 24) == 127;
}

std::string url_encode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

BearerChallenge parse_bearer_challenge(std::string_view header) {
  BearerChallenge out;
  size_t space = header.find(' ');
  if (space == std::string_view::npos) return out;
  std::string scheme(header.substr(0, space));
  for (auto& c : scheme) c = char(std::tolower((unsigned char)c));
  if (scheme != "bearer") return out;
  std::string_view rest = header.substr(space + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string key(rest.substr(0, eq));
    rest.remove_prefix(eq + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      rest.remove_prefix(1);
      while (!rest.empty() && rest.front() != '"') {
        if (rest.front() == '\\' && rest.size() > 1) rest.remove_prefix(1);
        value += rest.front();
        rest.remove_prefix(1);
      }
      if (!rest.empty()) rest.remove_prefix(1);
    } else {
      size_t end = rest.find(',');
      value = std::string(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    for (auto& c : key) c = char(std::tolower((unsigned char)c));
    if (key == "realm") out.realm = value;
    if (key == "service") out.service = value;
    if (key == "scope") out.scope = value;
  }
  return out;
}

bool may_carry_credentials(std::string_view url) {
  if (url.starts_with("https://")) return true;
  if (!url.starts_with("http://")) return false;
  url.remove_prefix(7);
  std::string_view host = url.substr(0, url.find_first_of("/?#"));
  // "user@host": the host is what follows the last '@'.
  if (size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  return is_loopback_registry(host);
}

std::string challenge_scheme(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  std::string scheme(header.substr(0, header.find(' ')));
  for (auto& c : scheme) c = char(std::tolower((unsigned char)c));
  return scheme;
}

RegistryClient::RegistryClient(std::string domain, bool verify_tls, std::optional<Credentials> credentials)
    : domain_(std::move(domain)),
      verify_tls_(verify_tls),
      credentials_(std::move(credentials)),
      ca_certificates_(registry_ca_certificates(domain_)),
      client_certificate_(registry_client_certificate(domain_)) {
  std::string host = domain_ == "docker.io" ? "registry-1.docker.io" : domain_;
  base_url_ = "https://" + host;
  // Plain HTTP only after HTTPS failed, and only where docker allows it: a
  // loopback registry (most speak only HTTP), or --tls-verify=false.
  scheme_checked_ = verify_tls_ && !is_loopback_registry(domain_);
}

namespace {

// A body callback that appends to `out`, refusing more than `max_size`
// bytes with "<what> is larger than N bytes".
std::function<Status(std::span<const uint8_t>)> collect(std::string& out, size_t max_size, std::string what) {
  return [&out, max_size, what = std::move(what)](std::span<const uint8_t> data) -> Status {
    if (out.size() + data.size() > max_size) return make_error("{} is larger than {} bytes", what, max_size);
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  };
}

// The registry's own words for a failed request: the first entry of its
// {"errors":[{"code","message"}]} body, when there is one.
std::string registry_message(const std::string& body) {
  auto json = parse_json(body, "error");
  if (!json.ok() || !json->is_object() || !json->contains("errors") || !(*json)["errors"].is_array() ||
      (*json)["errors"].empty())
    return "";
  const Json& first = (*json)["errors"][0];
  std::string message = first.value("message", "");
  std::string code = first.value("code", "");
  return message.empty() ? code : message;
}

}  // namespace

Status RegistryClient::fetch_token(const std::string& challenge_header) {
  BearerChallenge challenge = parse_bearer_challenge(challenge_header);
  if (challenge.realm.empty())
    return make_error("the registry asks for credentials (`{}`)", challenge_header);
  std::string url = challenge.realm;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (!challenge.service.empty()) {
    url += sep + std::string("service=") + url_encode(challenge.service);
    sep = '&';
  }
  if (!challenge.scope.empty()) url += sep + std::string("scope=") + url_encode(challenge.scope);
  HttpRequest request{.url = url,
                      .headers = {},
                      .verify_tls = verify_tls_,
                      .resume_from = 0,
                      .extra_ca_certificates = ca_certificates_,
                      .client_certificate = {},
                      .client_key = {},
                      .body = {}};
  // The realm is the token server the registry names; with credentials the
  // token speaks for that account, without them it is anonymous.
  if (credentials_) {
    if (!may_carry_credentials(url))
      return make_error("refusing to send the credentials for `{}` to `{}` over plain HTTP", domain_,
                        challenge.realm);
    request.headers.push_back("Authorization: Basic " +
                              base64_encode(credentials_->username + ":" + credentials_->password));
  }
  std::string body;
  auto response = TRY(std::move(http_request(request, collect(body, 1 << 20, "the token answer")))
                          .wrap("get a token from `{}`", challenge.realm));
  if (credentials_ && (response.status == 401 || response.status == 403))
    return make_error("wrong username or password");
  if (response.status != 200)
    return make_error("get a token from `{}`: HTTP status {}", challenge.realm, response.status);
  Json json = TRY(std::move(parse_json(body, "token")).wrap("get a token from `{}`", challenge.realm));
  token_ = json.is_object() ? json.value("token", json.value("access_token", "")) : "";
  token_from_credentials_ = credentials_.has_value();
  if (token_.empty()) return make_error("get a token from `{}`: the answer has no token", challenge.realm);
  return {};
}

Status RegistryClient::authenticate(const std::string& challenge) {
  std::string scheme = challenge_scheme(challenge);
  if (scheme == "bearer") return fetch_token(challenge);
  if (scheme == "basic") {
    if (!credentials_) return make_error("the registry needs credentials: run `skiff login {}`", domain_);
    send_basic_ = true;
    return {};
  }
  if (scheme.empty()) return make_error("access denied (the registry sent no authentication challenge)");
  return make_error("the registry asks for `{}` authentication, which skiff does not speak", scheme);
}

Result<std::string> RegistryClient::authorization_for(const std::string& url) const {
  // An upload location on another host (a storage backend) gets none.
  if (!url.starts_with(base_url_ + "/")) return std::string();
  bool carries_credentials = send_basic_ || (!token_.empty() && token_from_credentials_);
  if (carries_credentials && !may_carry_credentials(url))
    return make_error("refusing to send the credentials for `{}` over plain HTTP", domain_);
  if (send_basic_) return "Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
  if (!token_.empty()) return "Bearer " + token_;
  return std::string();
}

std::string RegistryClient::url_for(const std::string& target) const {
  if (is_http_url(target)) return target;
  return base_url_ + (target.starts_with("/") ? "" : "/") + target;
}

Result<HttpResponse> RegistryClient::send(const Call& call) {
  if (!client_certificate_.ok()) return client_certificate_.error();
  std::optional<Error> https_failure;  // when plain HTTP was tried next
  // One authentication a request: a first challenge, or a token that expired.
  bool authenticated = false;
  for (;;) {
    HttpRequest request{.method = call.method,
                        .url = url_for(call.target),
                        .headers = call.headers,
                        .verify_tls = verify_tls_,
                        .resume_from = call.resume_from,
                        .extra_ca_certificates = ca_certificates_,
                        .client_certificate = *client_certificate_ ? (*client_certificate_)->certificate : "",
                        .client_key = *client_certificate_ ? (*client_certificate_)->key : "",
                        .body = call.body};
    auto authorization = authorization_for(request.url);
    if (!authorization.ok()) return std::move(authorization).error();
    if (!authorization->empty()) request.headers.push_back("Authorization: " + *authorization);
    size_t received = 0;
    auto response = http_request(request, [&](std::span<const uint8_t> data) -> Status {
      received += data.size();
      return call.on_body ? call.on_body(data) : Status{};
    });
    if (!response.ok() && received == 0 && !scheme_checked_ && base_url_.starts_with("https://")) {
      // A loopback registry, or --tls-verify=false: one that speaks only
      // plain HTTP. Only before any body byte: a retry must not feed the
      // stream twice.
      https_failure = response.error();
      base_url_ = "http://" + base_url_.substr(8);
      scheme_checked_ = true;
      continue;
    }
    scheme_checked_ = true;
    last_status_ = response.ok() ? response->status : 0;
    // A TLS registry answers plain HTTP with a 400: why HTTPS failed (an
    // unknown CA, say) is the news.
    // But what plain HTTP delivered and the caller refused (too large, a
    // bad stream) is about the answer, not the scheme.
    if (https_failure && ((!response.ok() && received == 0) || (response.ok() && response->status == 400)))
      return *https_failure;
    if (!response.ok()) return std::move(response).error();
    if (response->status == 401 && !authenticated) {
      authenticated = true;
      TRY(authenticate(response->header("www-authenticate")));
      continue;
    }
    return std::move(*response);
  }
}

Error RegistryClient::status_error(const HttpResponse& response) const {
  if (response.status == 401 && send_basic_) return make_error("wrong username or password");
  std::string said = registry_message(response.error_body);
  std::string why = response.status == 404   ? "not found"
                    : response.status == 429 ? "too many requests: the registry's rate limit"
                                             : fmt::format("HTTP status {}", response.status);
  if (response.status == 401 || response.status == 403)
    why =
        credentials_
            ? fmt::format("access denied (the repository may not exist, or `{}` may not {} it)",
                          credentials_->username, pushing_ ? "push to" : "read")
            : fmt::format("access denied (the repository may not exist, or needs `skiff login {}`)", domain_);
  return make_error("{}{}", why, said.empty() ? "" : " (" + said + ")");
}

Status RegistryClient::get(const std::string& path, const std::string& accept, const std::string& what,
                           const std::function<Status(std::span<const uint8_t>)>& on_body,
                           std::string* content_type, std::string* link) {
  // `what` leads every failure; check_login() passes "" and words its own.
  auto fail = [&](Error error) { return what.empty() ? error : error.wrap("{}", what); };
  Call call{.method = "GET", .target = path, .on_body = on_body, .resume_from = resume_from_};
  if (!accept.empty()) call.headers.push_back("Accept: " + accept);
  auto response = send(call);
  if (!response.ok()) return fail(std::move(response).error());
  if (response->status < 200 || response->status >= 300) return fail(status_error(*response));
  if (content_type) *content_type = response->header("content-type");
  if (link) *link = response->header("link");
  return {};
}

Status RegistryClient::check_login() {
  std::string body;
  return get("/v2/", "", "", collect(body, 1 << 20, "the answer"), nullptr);
}

Result<std::string> RegistryClient::get_text(const std::string& path, size_t max_size, std::string* link) {
  std::string body;
  TRY(get(path, "application/json", fmt::format("GET {}{}", domain_, path),
          collect(body, max_size, "the answer"), nullptr, link));
  return body;
}

Result<FetchedManifest> RegistryClient::get_manifest(const std::string& repo, const std::string& reference) {
  FetchedManifest out;
  std::string what = fmt::format("fetch manifest {}/{}:{}", domain_, repo, reference);
  TRY(get("/v2/" + repo + "/manifests/" + reference, kManifestAccept, what,
          collect(out.body, kMaxManifestSize, "the manifest"), &out.content_type));
  out.digest = sha256_digest(out.body);
  return out;
}

Status RegistryClient::get_blob(const std::string& repo, const std::string& digest,
                                const std::function<Status(std::span<const uint8_t>)>& on_body,
                                const std::function<void(const Error&, int attempt)>& on_retry) {
  // A transfer cut short (a dropped connection, a timeout, a 5xx or 429)
  // is asked for again from the byte it stopped at; what the sink refused
  // (a bad stream) is final. The sink sees every byte once, in order.
  uint64_t delivered = 0;
  for (int attempt = 1;; ++attempt) {
    bool refused = false;
    resume_from_ = delivered;
    Status fetched = get(
        "/v2/" + repo + "/blobs/" + digest, "", fmt::format("fetch blob {}", digest),
        [&](std::span<const uint8_t> data) {
          Status s = on_body(data);
          if (s.ok())
            delivered += data.size();
          else
            refused = true;
          return s;
        },
        nullptr);
    resume_from_ = 0;
    if (fetched.ok() || refused || !is_transient_status(last_status_) || attempt == kBlobAttempts)
      return fetched;
    if (on_retry) on_retry(fetched.error(), attempt + 1);
    std::this_thread::sleep_for(retry_delay_ * (1 << (attempt - 1)));
  }
}

Result<std::string> RegistryClient::get_blob_text(const std::string& repo, const std::string& digest,
                                                  size_t max_size) {
  std::string body;
  TRY(get_blob(repo, digest, collect(body, max_size, "blob " + digest)));
  if (sha256_digest(body) != digest)
    return make_error("blob {}: its content does not match its digest", digest);
  return body;
}

Result<bool> RegistryClient::has_blob(const std::string& repo, const std::string& digest) {
  std::string what = fmt::format("check for blob {} in {}/{}", digest, domain_, repo);
  auto response =
      TRY(std::move(send({.method = "HEAD", .target = "/v2/" + repo + "/blobs/" + digest})).wrap("{}", what));
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  return status_error(response).wrap("{}", what);
}

Result<UploadStart> RegistryClient::start_upload(const std::string& repo, const std::string& mount_digest,
                                                 const std::string& mount_from) {
  pushing_ = true;
  std::string path = "/v2/" + repo + "/blobs/uploads/";
  if (!mount_digest.empty()) path += "?mount=" + url_encode(mount_digest) + "&from=" + url_encode(mount_from);
  std::string what = fmt::format("start an upload to {}/{}", domain_, repo);
  auto response = TRY(std::move(send({.method = "POST", .target = path})).wrap("{}", what));
  // 201: the registry mounted the blob; 202: an upload to make, at Location.
  if (response.status == 201 && !mount_digest.empty()) return UploadStart{.mounted = true, .location = ""};
  if (response.status != 202) return status_error(response).wrap("{}", what);
  std::string location = response.header("location");
  if (location.empty()) return make_error("{}: the registry's answer has no Location", what);
  return UploadStart{.mounted = false, .location = url_for(location)};
}

Result<HttpResponse> RegistryClient::upload_chunk(const std::string& location, uint64_t offset,
                                                  std::span<const uint8_t> data) {
  Call call{.method = "PATCH",
            .target = location,
            .headers = {"Content-Type: application/octet-stream",
                        fmt::format("Content-Range: {}-{}", offset, offset + data.size() - 1)},
            .body = data};
  return send(call);
}

Result<uint64_t> RegistryClient::upload_offset(const std::string& location) {
  auto response = TRY(send({.method = "GET", .target = location}));
  if (response.status != 204 && response.status != 200)
    return status_error(response).wrap("ask how far an upload got");
  return range_end(response.header("range"));
}

Result<HttpResponse> RegistryClient::finish_upload(const std::string& location, const std::string& digest,
                                                   std::span<const uint8_t> data) {
  std::string target =
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_encode(digest);
  return send({.method = "PUT",
               .target = target,
               .headers = {"Content-Type: application/octet-stream"},
               .body = data});
}

void RegistryClient::cancel_upload(const std::string& location) {
  (void)send({.method = "DELETE", .target = location});  // best effort: the registry expires it anyway
}

Result<std::string> RegistryClient::put_manifest(const std::string& repo, const std::string& reference,
                                                 std::string_view body, const std::string& media_type) {
  pushing_ = true;
  std::string what = fmt::format("push manifest {}/{}:{}", domain_, repo, reference);
  auto response = TRY(std::move(send({.method = "PUT",
                                      .target = "/v2/" + repo + "/manifests/" + reference,
                                      .headers = {"Content-Type: " + media_type},
                                      .body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()}}))
                          .wrap("{}", what));
  if (response.status != 201 && response.status != 200) return status_error(response).wrap("{}", what);
  std::string digest = sha256_digest(body);
  std::string said = response.header("docker-content-digest");
  if (!said.empty() && said != digest)
    return make_error("{}: the registry says it stored {}, not {}", what, said, digest);
  return digest;
}

Result<uint64_t> range_end(std::string_view header) {
  // "0-<last byte>", as docker's distribution writes it ("bytes=" tolerated);
  // "0-0" is what it says of an empty upload too.
  if (header.starts_with("bytes=")) header.remove_prefix(6);
  size_t dash = header.find('-');
  uint64_t first = 0, last = 0;
  auto number = [](std::string_view text, uint64_t& out) {
    if (text.empty() || text.size() > 19) return false;
    out = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + uint64_t(c - '0');
    }
    return true;
  };
  if (dash == std::string_view::npos || !number(header.substr(0, dash), first) ||
      !number(header.substr(dash + 1), last) || first != 0)
    return make_error("the registry's upload Range `{}` is not 0-<end>", header);
  return last == 0 ? 0 : last + 1;
}

}  // namespace skiff
