// A client of one registry (the OCI distribution API, v2): manifests and
// blobs by digest. HTTPS first; plain HTTP when HTTPS fails for registries
// on localhost and 127.0.0.0/8 (as docker allows), and elsewhere only when
// TLS verification is turned off. CA certificates for a registry come from
// its certs.d folder, as podman's and docker's.
//
// Authentication follows the registry's 401 challenge: `Basic` gets the
// credentials, `Bearer` gets a token from the realm it names (asked with
// the credentials when there are some, anonymously otherwise). Credentials
// go only to the registry's host and its token realm, over HTTPS or to a
// loopback address: never over plain HTTP elsewhere, and never along a
// redirect to another host (libcurl drops Authorization there, and
// CURLOPT_UNRESTRICTED_AUTH stays off).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "base/error.h"
#include "registry/auth_store.h"

namespace skiff {

struct FetchedManifest {
  std::string body;
  std::string content_type;
  std::string digest;  ///< sha256 of body, computed here
};

class RegistryClient {
 public:
  /// `domain` as in a reference ("docker.io", "localhost:5000");
  /// `credentials` are sent only when the registry asks for them.
  RegistryClient(std::string domain, bool verify_tls, std::optional<Credentials> credentials = std::nullopt);

  /// GET /v2/, authenticating as the registry asks: succeeds when the
  /// registry accepts the credentials (or needs none). Credentials it
  /// refuses are the error "wrong username or password".
  Status check_login();
  /// GET `path` (with its query, e.g. "/v2/_catalog?n=100") whole, at most
  /// `max_size` bytes; `link` (when given) gets the answer's Link header.
  Result<std::string> get_text(const std::string& path, size_t max_size, std::string* link = nullptr);

  /// GET /v2/<repo>/manifests/<reference> (a tag or a digest), at most
  /// kMaxManifestSize bytes.
  Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& reference);
  /// GET /v2/<repo>/blobs/<digest>, streamed to `on_body` (not checked
  /// here). A transfer cut short is retried up to kBlobAttempts times with
  /// a growing delay, resumed with a Range request from the first byte
  /// on_body lacks; on_retry (if set) hears why before each retry.
  Status get_blob(const std::string& repo, const std::string& digest,
                  const std::function<Status(std::span<const uint8_t>)>& on_body,
                  const std::function<void(const Error&, int attempt)>& on_retry = {});
  static constexpr int kBlobAttempts = 5;
  /// The first retry's delay (doubled for each next one).
  void set_retry_delay(std::chrono::milliseconds delay) { retry_delay_ = delay; }
  /// A small blob whole (a config), at most `max_size` bytes, digest-checked.
  Result<std::string> get_blob_text(const std::string& repo, const std::string& digest, size_t max_size);

  /// "http://localhost:5000" or "https://registry-1.docker.io".
  const std::string& base_url() const { return base_url_; }

 private:
  Status get(const std::string& path, const std::string& accept, const std::string& what,
             const std::function<Status(std::span<const uint8_t>)>& on_body, std::string* content_type,
             std::string* link = nullptr);
  /// Answers a 401's WWW-Authenticate: basic credentials, or a new token.
  Status authenticate(const std::string& challenge);
  Status fetch_token(const std::string& challenge);
  /// The Authorization header for a request to `url` ("" for none); an
  /// error when credentials would travel over plain HTTP to another machine.
  Result<std::string> authorization_for(const std::string& url) const;

  std::string domain_;
  std::string base_url_;
  bool verify_tls_;
  bool scheme_checked_ = false;
  std::string token_;
  std::optional<Credentials> credentials_;
  bool send_basic_ = false;             // the registry asked for Basic
  bool token_from_credentials_ = false;  // token_ was asked for with them
  std::string ca_certificates_;         // PEM, from certs.d
  uint64_t resume_from_ = 0;  // for the next get(): see HttpRequest::resume_from
  long last_status_ = 0;      // of the last get(): 0 when no answer came
  std::chrono::milliseconds retry_delay_{500};
};

/// True for localhost, 127.0.0.0/8 and [::1] (with or without a port).
bool is_loopback_registry(std::string_view domain);

/// True when credentials may be sent to `url`: HTTPS, or plain HTTP to a
/// loopback address.
bool may_carry_credentials(std::string_view url);

/// The scheme of a WWW-Authenticate header, lowercased ("basic", "bearer").
std::string challenge_scheme(std::string_view header);

/// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);

/// The parameters of a `WWW-Authenticate: Bearer realm="..",service=".."`
/// header: realm, service, scope ("" when absent); empty realm when the
/// header is not a bearer challenge.
struct BearerChallenge {
  std::string realm, service, scope;
};
BearerChallenge parse_bearer_challenge(std::string_view header);

}  // namespace skiff
