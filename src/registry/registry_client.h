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
#include "registry/certs_d.h"
#include "registry/http.h"

namespace skiff {

/// Where a blob upload stands after its POST.
struct UploadStart {
  bool mounted = false;  ///< the registry mounted the blob from another repository
  std::string location;  ///< else the upload's URL (absolute)
};

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
  std::chrono::milliseconds retry_delay() const { return retry_delay_; }
  /// A small blob whole (a config), at most `max_size` bytes, digest-checked.
  Result<std::string> get_blob_text(const std::string& repo, const std::string& digest, size_t max_size);

  /// HEAD /v2/<repo>/blobs/<digest>: whether the repository has the blob.
  Result<bool> has_blob(const std::string& repo, const std::string& digest);
  /// POST /v2/<repo>/blobs/uploads/: a new upload. With `mount_digest`,
  /// asks the registry to mount that blob from repository `mount_from` of
  /// the same registry instead; a registry that can't starts an upload.
  Result<UploadStart> start_upload(const std::string& repo, const std::string& mount_digest = "",
                                   const std::string& mount_from = "");
  /// PATCH `location` with `data` as the bytes from `offset` on
  /// (Content-Range): the registry's answer, whatever its status.
  Result<HttpResponse> upload_chunk(const std::string& location, uint64_t offset,
                                    std::span<const uint8_t> data);
  /// GET `location`: how many bytes of the upload the registry holds.
  Result<uint64_t> upload_offset(const std::string& location);
  /// PUT `location`?digest=: completes the upload with `data` as its last
  /// bytes (all of them, for a monolithic upload). The answer, whatever its status.
  Result<HttpResponse> finish_upload(const std::string& location, const std::string& digest,
                                     std::span<const uint8_t> data);
  /// DELETE `location`, best effort.
  void cancel_upload(const std::string& location);
  /// PUT /v2/<repo>/manifests/<reference>: returns the manifest's digest
  /// (checked against the one the registry names).
  Result<std::string> put_manifest(const std::string& repo, const std::string& reference,
                                   std::string_view body, const std::string& media_type);
  /// An error for a non-2xx answer, in the registry's words when it gave some.
  Error status_error(const HttpResponse& response) const;
  /// Where `target` (a path, or an absolute URL such as an upload's
  /// Location) is.
  std::string url_for(const std::string& target) const;

  /// "http://localhost:5000" or "https://registry-1.docker.io".
  const std::string& base_url() const { return base_url_; }

 private:
  struct Call {
    std::string method;
    std::string target;  ///< a path ("/v2/...") or an absolute URL
    std::vector<std::string> headers{};
    std::span<const uint8_t> body{};
    std::function<Status(std::span<const uint8_t>)> on_body{};  ///< a 2xx answer's body; dropped when unset
    uint64_t resume_from = 0;
  };
  /// One request, authenticated as the registry asks (once a request),
  /// falling back to plain HTTP where allowed. Any status is an answer.
  Result<HttpResponse> send(const Call& call);
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
  bool send_basic_ = false;                                      // the registry asked for Basic
  bool token_from_credentials_ = false;                          // token_ was asked for with them
  std::string ca_certificates_;                                  // PEM, from certs.d
  Result<std::optional<ClientCertificate>> client_certificate_;  // from certs.d
  uint64_t resume_from_ = 0;  // for the next get(): see HttpRequest::resume_from
  long last_status_ = 0;      // of the last get(): 0 when no answer came
  std::chrono::milliseconds retry_delay_{500};
  bool pushing_ = false;  // words access errors for a push
};

/// The byte count an upload's `Range: 0-<last>` header says the registry
/// holds ("0-0" counts as none, as docker's distribution writes it).
Result<uint64_t> range_end(std::string_view header);

/// True for answers worth asking again: none at all (status 0), 408, 429, 5xx.
bool is_transient_status(long status);

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
