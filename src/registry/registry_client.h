// A client of one registry (the OCI distribution API, v2): manifests and
// blobs by digest, with docker's anonymous bearer-token handshake. Plain
// HTTP is used for registries on localhost and 127.0.0.0/8 (as docker
// allows), and elsewhere only when TLS verification is turned off and
// HTTPS fails.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "base/error.h"

namespace skiff {

struct FetchedManifest {
  std::string body;
  std::string content_type;
  std::string digest;  ///< sha256 of body, computed here
};

class RegistryClient {
 public:
  /// `domain` as in a reference ("docker.io", "localhost:5000").
  RegistryClient(std::string domain, bool verify_tls);

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
             const std::function<Status(std::span<const uint8_t>)>& on_body, std::string* content_type);
  Status fetch_token(const std::string& challenge);

  std::string domain_;
  std::string base_url_;
  bool verify_tls_;
  bool scheme_checked_ = false;
  std::string token_;
  uint64_t resume_from_ = 0;  // for the next get(): see HttpRequest::resume_from
  long last_status_ = 0;      // of the last get(): 0 when no answer came
  std::chrono::milliseconds retry_delay_{500};
};

/// True for localhost, 127.0.0.0/8 and [::1] (with or without a port).
bool is_loopback_registry(std::string_view domain);

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
