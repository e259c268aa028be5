// Registry credentials in the files podman and docker keep them in, so a
// `podman login` or `docker login` works for skiff and the other way round.
// Every file has docker's shape: {"auths": {"<key>": {"auth": base64("user:password")}}},
// where a key is a registry ("quay.io", "localhost:5000"), a registry with a
// repository path ("quay.io/team": the most specific key wins), or docker's
// legacy URL form ("https://index.docker.io/v1/").
//
// Read, in order (the first file with an entry for the registry wins):
//   $REGISTRY_AUTH_FILE
//   $XDG_RUNTIME_DIR/containers/auth.json           (podman's)
//   ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json  (podman's, when there is no runtime dir)
//   ${DOCKER_CONFIG:-~/.docker}/config.json         (docker's)
// Written: the first of those three podman paths that applies, or --authfile.
// Credential helpers (docker's credHelpers and credsStore) are not run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

struct Credentials {
  std::string username;
  std::string password;
};

struct StoredCredentials {
  Credentials credentials;
  std::string file;  ///< the file they came from
};

/// The registry name a credential-file key or a `skiff login` argument
/// stands for: URL schemes and docker's "/v1/" paths dropped, index.docker.io
/// and registry-1.docker.io as docker.io, a repository path kept
/// ("quay.io/team"). "" for an empty or unusable key.
std::string normalize_auth_key(std::string_view key);

/// The files read for credentials, in order (missing variables skipped).
std::vector<std::string> credential_files();

/// The file `skiff login` writes when no --authfile is given.
std::string default_auth_file();

/// The credentials for `domain` ("docker.io", "localhost:5000") and
/// optionally a repository path in it ("library/busybox"), from the first of
/// credential_files() (or only `file`, when given) with an entry for them.
/// nullopt when none has; a file that can't be read or parsed is an Error.
/// Warns (once) when the only entry is held by a credential helper.
Result<std::optional<StoredCredentials>> find_credentials(std::string_view domain, std::string_view repo = "",
                                                          const std::string& file = "");

/// Sets the entry `key` (a normalize_auth_key() result) of `file` to
/// `credentials`, keeping every other entry and key. The file is replaced
/// atomically with mode 0600; missing folders are created 0700.
Status store_credentials(const std::string& file, std::string_view key, const Credentials& credentials);

/// Removes the entry `key` (any spelling that normalises to it) from
/// `file`; false when it had none.
Result<bool> remove_credentials(const std::string& file, std::string_view key);

/// Removes every entry of `file`'s "auths", keeping its other keys; a
/// missing file is fine.
Status remove_all_credentials(const std::string& file);

}  // namespace skiff
